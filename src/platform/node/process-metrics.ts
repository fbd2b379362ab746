import type { ProcessSample } from '../../core/index.ts';

/** This Node process's memory, CPU time and start time (the metrics port's `process_*` series). */
export function nodeProcessSample(): ProcessSample {
  const cpu = process.cpuUsage();
  return {
    residentMemoryBytes: process.memoryUsage.rss(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    startTimeSeconds: performance.timeOrigin / 1000,
  };
}
