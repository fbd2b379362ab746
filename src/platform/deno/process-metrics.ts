import type { ProcessSample } from '../../core/index.ts';
import type { DenoApi } from '../../types/deno.d.ts';

declare const Deno: DenoApi;

/** This Deno process's memory, CPU time and start time (the metrics port's `process_*` series). */
export function denoProcessSample(): ProcessSample {
  const cpu = Deno.cpuUsage();
  return {
    residentMemoryBytes: Deno.memoryUsage().rss,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    startTimeSeconds: performance.timeOrigin / 1000,
  };
}
