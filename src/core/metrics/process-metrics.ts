import { Exposition } from './exposition.ts';

/**
 * What a platform reports about its own process, for Prometheus' standard `process_*` series
 * (the names client libraries export, so stock dashboards and alerts work). The core cannot
 * measure its process; each platform with a metrics port passes a sampler to `createMetricsApp`.
 */
export interface ProcessSample {
  /** Resident set size in bytes. */
  residentMemoryBytes: number;
  /** User and system CPU time, in seconds, since the process started. */
  cpuSeconds: number;
  /** When the process started, in seconds since the Unix epoch. */
  startTimeSeconds: number;
}

export type ProcessSampler = () => ProcessSample;

/** The `process_*` families in Prometheus text format. */
export function renderProcessMetrics(s: ProcessSample): string {
  return new Exposition()
    .gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', [{ labels: {}, value: s.residentMemoryBytes }])
    .counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', [{ labels: {}, value: s.cpuSeconds }])
    .gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', [{ labels: {}, value: s.startTimeSeconds }])
    .toString();
}
