// A process's own CPU accounting: utime + stime from /proc/<pid>/stat (all its threads), plus
// those of its live child processes, in microseconds.
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Whether this system has /proc/<pid>/stat to read. */
export const hasProcStat = (() => {
  try {
    readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    return true;
  } catch {
    return false;
  }
})();

function own(pid: number): number {
  // Fields after "(comm) ": state is field 3, utime 14 and stime 15 (1-based), so 11 and 12 here.
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / hz;
}

function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** CPU µs used so far by `pid` and its descendants that are still running. */
export function cpuMicros(pid: number): number {
  let us = 0;
  for (const p of [pid, ...children(pid)]) {
    try {
      us += p === pid ? own(p) : cpuMicros(p);
    } catch {
      // a child that exited in between
    }
  }
  return us;
}
