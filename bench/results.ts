import { existsSync, readFileSync } from 'node:fs';
import type { LevelResult } from '../src/tools/perf/index.ts';
import type { BenchModel } from './models.ts';

export type Scenario = 'naive' | 'json' | 'binary' | 'batched';

export interface Row {
  model: BenchModel['id'];
  scenario: Scenario;
  results: LevelResult[];
}

export const SCENARIO_NAMES: Record<Scenario, string> = {
  naive: 'naive: bare hono + session.run per request (binary)',
  json: 'Nereid, JSON tensors',
  binary: 'Nereid, binary tensors',
  batched: 'Nereid, binary + dynamic batching',
};

interface ResultsInput {
  rows: Row[];
  limits: Record<string, { batch: number; rowsPerSec: number; msPerRun: number }[]>;
  machine: { cpu: string; nproc: number; memGiB: number; os: string; node: string; ort: string; nereid: string };
  quick: boolean;
  seconds: number;
  concurrency: number[];
  windowMs: number;
  trials: number;
  rounds: number;
  models: BenchModel[];
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const at = (rows: Row[], model: string, scenario: Scenario, c: number) =>
  rows.find((r) => r.model === model && r.scenario === scenario)?.results.find((x) => x.level === c);

export function renderResults(input: ResultsInput): string {
  const { rows, limits, machine } = input;
  const out: string[] = [];
  out.push(`# Benchmark results${input.quick ? ' (quick mode: harness check, not for comparison)' : ''}`);
  out.push('');
  out.push(
    `Produced by \`npm run bench${input.quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)} in ${input.seconds.toFixed(0)} s. Everything below was measured in that one run, on one machine:`,
  );
  out.push('');
  out.push(`- machine: ${machine.cpu}, \`nproc\` = ${machine.nproc}, ${machine.memGiB} GiB, ${machine.os}`);
  out.push(`- versions: Node ${machine.node}, onnxruntime-node ${machine.ort}, Nereid ${machine.nereid}`);
  out.push(
    `- load: \`nereid perf\`'s engine (perf_analyzer's method: ${input.windowMs} ms windows, stable when three windows agree within 10 %, at most ${input.trials} windows), random FP32 inputs, batch 1 per request, concurrency ${input.concurrency.join(', ')}; the client runs on the same ${machine.nproc} cores as the server, as it would with perf_analyzer on one host`,
  );
  out.push(
    `- method: the naive server and Nereid run side by side; for each concurrency the four scenarios are measured one after another, and the whole sweep is repeated ${input.rounds} time${input.rounds === 1 ? '' : 's'}; each cell shows the median over the rounds (throughput and each latency separately), so that a slow minute on a shared machine falls on every scenario alike`,
  );
  out.push(
    "- servers: each its own process; Nereid with default settings and one CPU instance per model (`instance_group [ { count: 1 kind: KIND_CPU } ]`; the batched model adds `dynamic_batching { max_queue_delay_microseconds: 500 }`, 0 for the tiny model); onnxruntime with intra-op threads = cores in every scenario; the naive server uses onnxruntime's defaults otherwise",
  );
  out.push('');
  for (const m of input.models) {
    const lim = limits[m.id] ?? [];
    const b1 = lim.find((l) => l.batch === 1);
    const best = [...lim].sort((a, b) => b.rowsPerSec - a.rowsPerSec)[0];
    out.push(`## ${m.title}`);
    out.push('');
    if (b1 && best)
      out.push(
        `The limit (in-process \`session.run\`): ${fmt(b1.rowsPerSec)} inferences/s at batch 1 (${b1.msPerRun.toFixed(3)} ms/run); best ${fmt(best.rowsPerSec)} inferences/s at batch ${best.batch}.`,
      );
    out.push('');
    out.push(`| scenario | ${input.concurrency.map((c) => `c=${c}: infer/s (p50 / p99 ms)`).join(' | ')} |`);
    out.push(`| --- | ${input.concurrency.map(() => '---').join(' | ')} |`);
    for (const s of ['naive', 'json', 'binary', 'batched'] as Scenario[]) {
      const cells = input.concurrency.map((c) => {
        const r = at(rows, m.id, s, c);
        return r ? `${fmt(r.throughput)} (${(r.p50Us / 1000).toFixed(2)} / ${(r.p99Us / 1000).toFixed(2)})` : '–';
      });
      out.push(`| ${SCENARIO_NAMES[s]} | ${cells.join(' | ')} |`);
    }
    out.push('');
    const ratios: string[] = [];
    for (const c of input.concurrency) {
      const j = at(rows, m.id, 'json', c);
      const b = at(rows, m.id, 'binary', c);
      if (j && b) ratios.push(`c=${c}: ${(b.throughput / j.throughput).toFixed(2)}×`);
    }
    out.push(`Binary vs JSON throughput: ${ratios.join(', ')}.`);
    out.push('');
  }
  out.push('## Targets');
  out.push('');
  out.push(...targets(input));
  out.push('');
  out.push('![throughput vs p99 latency](throughput-vs-p99.svg)');
  out.push('');
  if (existsSync('bench/notes.md')) out.push(readFileSync('bench/notes.md', 'utf8').trim(), '');
  return out.join('\n');
}

function targets(input: ResultsInput): string[] {
  const { rows, limits } = input;
  const lines: string[] = [];
  const verdict = (ok: boolean) => (ok ? '**achieved**' : '**not achieved**');
  const tb = at(rows, 'tiny', 'binary', 1);
  const tn = at(rows, 'tiny', 'naive', 1);
  if (tb && tn) {
    const r = tb.throughput / tn.throughput;
    lines.push(
      `- Tiny model, binary, concurrency 1: Nereid ${fmt(tb.throughput)} vs bare hono + onnxruntime ${fmt(tn.throughput)} infer/s = ${(r * 100).toFixed(0)} % (target ≥ 75 %): ${verdict(r >= 0.75)}.`,
    );
  }
  const c = input.concurrency.includes(16) ? 16 : input.concurrency[input.concurrency.length - 1]!;
  const mb = at(rows, 'mlp', 'batched', c);
  const mn = at(rows, 'mlp', 'naive', c);
  const best = [...(limits.mlp ?? [])].sort((a, b) => b.rowsPerSec - a.rowsPerSec)[0];
  if (mb && mn) {
    const r = mb.throughput / mn.throughput;
    lines.push(
      `- MLP, concurrency ${c}: Nereid with dynamic batching ${fmt(mb.throughput)} vs naive ${fmt(mn.throughput)} infer/s = ${r.toFixed(2)}× (target ≥ 3×): ${verdict(r >= 3)}; p99 ${(mb.p99Us / 1000).toFixed(2)} ms vs ${(mn.p99Us / 1000).toFixed(2)} ms (target: no worse): ${verdict(mb.p99Us <= mn.p99Us)}.`,
    );
  }
  if (mb && best) {
    const r = mb.throughput / best.rowsPerSec;
    lines.push(
      `- MLP, concurrency ${c}: Nereid with dynamic batching at ${(r * 100).toFixed(0)} % of the in-process best batch (${fmt(best.rowsPerSec)} rows/s at batch ${best.batch}; target ≥ 70 %): ${verdict(r >= 0.7)}.`,
    );
  }
  return lines;
}
