// docs/bench/RESULTS.md from one run of bench/run.ts: machine, versions, method, every cell, and
// the targets of issue 15 with their numbers.
import { existsSync, readFileSync } from 'node:fs';
import type { BenchModel } from './models.ts';
import type { LoadResult } from './wrk.ts';

export type Scenario = 'naive' | 'json' | 'binary' | 'batched' | 'grpc' | 'threads2' | 'otherNode';

/** The order of a table's rows: gRPC next to HTTP binary. */
export const SCENARIOS: Scenario[] = ['naive', 'json', 'binary', 'grpc', 'batched', 'threads2', 'otherNode'];

export const SCENARIO_NAMES: Record<Scenario, string> = {
  naive: 'naive: bare hono + session.run per request (binary)',
  json: 'Nereid, JSON tensors',
  binary: 'Nereid, binary tensors',
  batched: 'Nereid, binary + dynamic batching',
  grpc: 'Nereid, gRPC (raw tensors)',
  threads2: 'Nereid, binary, 2 front-end threads',
  otherNode: 'Nereid, binary, 1 thread, on the other Node',
};

/** One cell: a scenario at one concurrency, the median of its rounds. */
export interface Cell extends LoadResult {
  level: number;
  /** Server CPU µs (utime + stime of its process) per request served; undefined without /proc. */
  cpuUsPerRequest?: number;
  /** Tensor bytes copied per request; undefined when the server does not count them. */
  copiedPerRequest?: number;
}

export interface Row {
  model: BenchModel['id'];
  scenario: Scenario;
  cells: Cell[];
  /** Where the bytes copied come from: Nereid's metric, or computed from the naive server's code. */
  copied: 'metric' | 'computed';
}

export interface Limit {
  batch: number;
  runsPerSec: number;
  rowsPerSec: number;
  msPerRun: number;
}

export interface SchedulerResult {
  requests: number;
  trials: number;
  perRequestUs: Record<string, number>;
  overheadUs: { default: number; batcher: number; batcher64: number };
}

export interface ResultsInput {
  rows: Row[];
  limits: Record<string, Limit[]>;
  machine: { cpu: string; nproc: number; memGiB: number; os: string; node: string; ort: string; nereid: string };
  quick: boolean;
  seconds: number;
  concurrency: number[];
  windowS: number;
  rounds: number;
  wrk: { version: string; threads: Record<number, number> };
  /** The scheduler bench's numbers, or why there are none. */
  scheduler: SchedulerResult | string;
  /** Why a scenario is missing, what a server said about itself, and the like. */
  notes: string[];
  models: BenchModel[];
  naiveCopies: Record<string, { total: number; handler: number }>;
  /** What the two-thread server printed about its front-end threads, when it did. */
  threadsLine?: string;
  /** The other Node a third Nereid ran on (tiny model), when there was one. */
  otherNode?: { path: string; version: string };
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ms = (us: number) => (us / 1000).toFixed(2);
export const cellOf = (rows: Row[], model: string, scenario: Scenario, c: number) =>
  rows.find((r) => r.model === model && r.scenario === scenario)?.cells.find((x) => x.level === c);
const verdict = (ok: boolean) => (ok ? '**achieved**' : '**not achieved**');

export function renderResults(input: ResultsInput): string {
  const { rows, limits, machine } = input;
  const out: string[] = [];
  const threads = input.concurrency.map((c) => `c=${c}: \`-t${input.wrk.threads[c]} -c${c}\``).join(', ');
  out.push(`# Benchmark results${input.quick ? ' (quick mode: harness check, not for comparison)' : ''}`);
  out.push('');
  out.push(
    `Produced by \`npm run bench${input.quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)} in ${input.seconds.toFixed(0)} s. Everything below was measured in that one run, on one machine:`,
  );
  out.push('');
  out.push(`- machine: ${machine.cpu}, \`nproc\` = ${machine.nproc}, ${machine.memGiB} GiB, ${machine.os}`);
  out.push(`- versions: Node ${machine.node}, onnxruntime-node ${machine.ort}, Nereid ${machine.nereid}, ${input.wrk.version}`);
  out.push(
    `- load (HTTP): [wrk](https://github.com/wg/wrk), HTTP/1.1 keep-alive on loopback, ${threads} (threads × connections; one wrk thread drives more requests per second than any server here serves), ${input.windowS} s per window; one request per scenario, batch 1 with random FP32 inputs, made once and sent unchanged (binary: KServe binary tensors with \`Inference-Header-Content-Length\`, outputs asked for as binary; JSON: tensors as JSON numbers), from a generated Lua script; latencies are wrk's own percentiles (\`latency:percentile\` in the script's \`done()\`); errors are responses with status ≥ 400 (counted in \`response()\`) plus socket errors. wrk runs on the same ${machine.nproc} cores as the servers.`,
  );
  if (rows.some((r) => r.scenario === 'grpc'))
    out.push(
      '- load (gRPC): a closed-loop Node client on `@grpc/grpc-js` in the benchmark process (one channel, `c` ModelInfer calls in flight, raw input contents), the same window; latencies from each call',
    );
  out.push(
    `- method: all servers of a model run side by side; for each concurrency every scenario is measured in turn, ${input.rounds === 1 ? 'once (quick mode: one round)' : `and the whole sweep is repeated ${input.rounds} times`} (round-robin, so a slow minute on a shared machine falls on every scenario alike); each cell is the median over the rounds, each number separately${input.quick ? '' : '; every scenario is warmed up for 1 s before the first round'}`,
  );
  out.push(
    "- server CPU per request: the server process's own accounting, utime + stime of all its threads from `/proc/<pid>/stat` (and of any live child processes), read before and after each window, divided by the requests served in the window (10 ms clock ticks)",
  );
  out.push(
    '- tensor bytes copied per request: Nereid\'s counter `nereid_tensor_bytes_copied_total`, read from its metrics port before and after each window, divided by the requests served ("n/a" where the server does not export it); for the naive server computed from its code, marked *computed* (see the note under each table)',
  );
  out.push(
    '- servers: each its own process; Nereid with default settings and one CPU instance per model (`instance_group [ { count: 1 kind: KIND_CPU } ]`, `max_batch_size: 64`; the batched model adds `dynamic_batching { max_queue_delay_microseconds: 500 }` (0 for the tiny model), so at c=64 a batch can take all 64 requests); onnxruntime with intra-op threads = cores in every scenario; the in-process limit is `session.run` in a process of its own with intra-op threads = cores',
  );
  if (input.otherNode)
    out.push(
      `- Node versions (tiny model): the Nereid rows run on ${input.machine.node} (the bench's own Node, which \`npm run\` takes from node_modules/.bin); "${SCENARIO_NAMES.otherNode}" is a third Nereid, \`--http-thread-count 1\`, started with ${input.otherNode.path} (${input.otherNode.version})`,
    );
  if (rows.some((r) => r.scenario === 'threads2'))
    out.push(
      '- front-end threads (tiny model): a second Nereid with `--http-thread-count 2` next to the first, which runs with `--http-thread-count 1` (its rows are the other Nereid rows)',
    );
  out.push('');
  for (const m of input.models) {
    out.push(`## ${m.title}`);
    out.push('');
    const lim = limits[m.id] ?? [];
    if (lim.length) {
      const best = [...lim].sort((a, b) => b.rowsPerSec - a.rowsPerSec)[0]!;
      out.push(
        `The limit (in-process \`session.run\`, rows/s at each batch size): ${lim.map((l) => `${l.batch}: ${fmt(l.rowsPerSec)} (${l.msPerRun.toFixed(3)} ms/run)`).join(', ')}; best ${fmt(best.rowsPerSec)} rows/s at batch ${best.batch}.`,
      );
      out.push('');
    }
    out.push('| scenario | c | infer/s | p50 ms | p90 ms | p99 ms | server CPU µs/request | tensor bytes copied/request | errors |');
    out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    // By concurrency, then scenario: the rows to compare stand together.
    const levels = [...new Set(rows.filter((r) => r.model === m.id).flatMap((r) => r.cells.map((x) => x.level)))].sort((a, b) => a - b);
    for (const c of levels) {
      for (const s of SCENARIOS) {
        const row = rows.find((r) => r.model === m.id && r.scenario === s);
        const x = row?.cells.find((y) => y.level === c);
        if (!row || !x) continue;
        const cpu = x.cpuUsPerRequest === undefined ? 'n/a' : fmt(x.cpuUsPerRequest);
        const copied = x.copiedPerRequest === undefined ? 'n/a' : `${x.copiedPerRequest.toFixed(0)}${row.copied === 'computed' ? ' (*computed*)' : ''}`;
        out.push(
          `| ${SCENARIO_NAMES[s]} | ${c} | ${fmt(x.throughput)} | ${ms(x.p50Us)} | ${ms(x.p90Us)} | ${ms(x.p99Us)} | ${cpu} | ${copied} | ${x.errors} |`,
        );
      }
    }
    out.push('');
    const nc = input.naiveCopies[m.id];
    if (nc)
      out.push(
        `Naive server's bytes copied, from its code and counted as Nereid's counter counts: the body read into one buffer (inputs), \`slice\` per input (inputs), onnxruntime's output copy (outputs), the outputs into the response buffer (outputs) = ${nc.total} bytes; its handler's own code makes ${nc.handler} of them (each input once with \`slice\`, each output once into the response buffer).`,
      );
    const ratios: string[] = [];
    for (const c of input.concurrency) {
      const j = cellOf(rows, m.id, 'json', c);
      const b = cellOf(rows, m.id, 'binary', c);
      if (j && b) ratios.push(`c=${c}: ${(b.throughput / j.throughput).toFixed(2)}×`);
    }
    if (ratios.length) out.push('', `Binary vs JSON throughput: ${ratios.join(', ')}.`);
    out.push('');
  }
  out.push('## Scheduler overhead (no-op backend)');
  out.push('');
  if (typeof input.scheduler === 'string') out.push(`Not measured: ${input.scheduler}.`);
  else {
    const s = input.scheduler;
    out.push(`\`npm run bench:scheduler\` (median of ${s.trials} trials of ${s.requests} requests each), µs per request:`);
    out.push('');
    out.push('| path | µs/request |');
    out.push('| --- | --- |');
    for (const [name, us] of Object.entries(s.perRequestUs)) out.push(`| ${name} | ${us.toFixed(2)} |`);
  }
  out.push('');
  out.push('## Targets (issue 15)');
  out.push('');
  out.push(...targets(input));
  out.push('');
  if (input.notes.length) {
    out.push('## Notes from this run');
    out.push('');
    for (const n of input.notes) out.push(`- ${n}`);
    out.push('');
  }
  out.push('![throughput vs p99 latency](throughput-vs-p99.svg)');
  out.push('');
  if (existsSync('bench/notes.md')) out.push(readFileSync('bench/notes.md', 'utf8').trim(), '');
  return out.join('\n');
}

export function targets(input: ResultsInput): string[] {
  const { rows, limits } = input;
  const lines: string[] = [];
  const top = input.concurrency[input.concurrency.length - 1]!;
  const hi = input.concurrency.includes(64) ? 64 : top;
  const hiNote = hi === 64 ? '' : ` (this run's highest concurrency; the target is at 64)`;

  const tb = cellOf(rows, 'tiny', 'binary', 1);
  const tn = cellOf(rows, 'tiny', 'naive', 1);
  if (tb && tn) {
    const r = tb.throughput / tn.throughput;
    lines.push(
      `1. Tiny model, binary, concurrency 1: Nereid ${fmt(tb.throughput)} vs the bare handler ${fmt(tn.throughput)} infer/s = ${r.toFixed(2)}× (target ≥ 0.9×): ${verdict(r >= 0.9)}.`,
    );
  } else lines.push('1. Tiny model, binary, concurrency 1 (target ≥ 0.9× the bare handler): not measured in this run.');

  const mb = cellOf(rows, 'mlp', 'batched', hi);
  const best = [...(limits.mlp ?? [])].sort((a, b) => b.rowsPerSec - a.rowsPerSec)[0];
  if (mb && best) {
    const r = mb.throughput / best.rowsPerSec;
    lines.push(
      `2. MLP, concurrency ${hi}${hiNote}, dynamic batching: Nereid ${fmt(mb.throughput)} infer/s = ${r.toFixed(2)}× the in-process best batch (${fmt(best.rowsPerSec)} rows/s at batch ${best.batch}, onnxruntime given every core; target ≥ 0.6×): ${verdict(r >= 0.6)}.`,
    );
  } else lines.push('2. MLP, concurrency 64, dynamic batching (target ≥ 0.6× the in-process best batch): not measured in this run.');

  if (typeof input.scheduler === 'string') lines.push(`3. Per-request overhead with a no-op backend (target < 10 µs): not measured (${input.scheduler}).`);
  else {
    const o = input.scheduler.overheadUs;
    const worst = Math.max(o.default, o.batcher, o.batcher64);
    lines.push(
      `3. Per-request overhead with a no-op backend, over calling the backend directly: default scheduler ${o.default.toFixed(2)} µs, dynamic batcher ${o.batcher.toFixed(2)} µs sequential and ${o.batcher64.toFixed(2)} µs at 64 in flight (target < 10 µs for each): ${verdict(worst < 10)}.`,
    );
  }

  const t2 = cellOf(rows, 'tiny', 'threads2', hi);
  const t1 = cellOf(rows, 'tiny', 'binary', hi);
  if (t2 && t1) {
    const r = t2.throughput / t1.throughput;
    lines.push(
      `4. Tiny model, binary, concurrency ${hi}${hiNote}: two front-end threads ${fmt(t2.throughput)} vs one ${fmt(t1.throughput)} infer/s = ${r.toFixed(2)}× (target ≥ 1.3×): ${verdict(r >= 1.3)}${input.threadsLine ? `; the two-thread server said: "${input.threadsLine}"` : ''}.`,
    );
  } else lines.push('4. Tiny model at concurrency 64, two front-end threads vs one (target ≥ 1.3×): not measured in this run (see the notes).');

  if (input.otherNode) {
    const parts = input.concurrency
      .map((c) => ({ c, o: cellOf(rows, 'tiny', 'otherNode', c), b: cellOf(rows, 'tiny', 'binary', c), t: cellOf(rows, 'tiny', 'threads2', c) }))
      .filter((x) => x.o && x.b)
      .map(
        ({ c, o, b, t }) =>
          `c=${c}: ${fmt(o!.throughput)} on ${input.otherNode!.version} vs ${fmt(b!.throughput)} on ${input.machine.node} (${(b!.throughput / o!.throughput).toFixed(2)}×)${t ? `, ${fmt(t.throughput)} with 2 threads (${(t.throughput / o!.throughput).toFixed(2)}×)` : ''}`,
      );
    if (parts.length) lines.push(`Node versions (not a target; tiny model, binary, one thread unless said, infer/s): ${parts.join('; ')}.`);
  }
  return lines;
}
