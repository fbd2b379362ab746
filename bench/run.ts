// `npm run bench [-- --quick]`: Nereid next to the limit (in-process session.run) and next to the
// naive alternative (a bare hono + onnxruntime handler), in one session on one machine.
// Writes docs/bench/RESULTS.md and docs/bench/throughput-vs-p99.svg.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type LevelResult, runPerf } from '../src/tools/perf/index.ts';
import { nodeHttpTransport } from '../src/cli/perf-transport.ts';
import { type BenchModel, benchModels, benchRepository } from './models.ts';
import { renderChart } from './chart.ts';
import { renderResults, type Row } from './results.ts';

const quick = process.argv.includes('--quick');
const CONCURRENCY = quick ? [1, 16] : [1, 4, 16, 64];
/** Every cell is measured this many times, interleaved with the other scenarios; the median is reported. */
const ROUNDS = quick ? 1 : 3;
const WINDOW_MS = quick ? 300 : 1500;
const TRIALS = quick ? 2 : 3;
const LIMIT_MS = quick ? 300 : 2000;
const BATCHES = [1, 2, 4, 8, 16, 32, 64];
const started = performance.now();
const transport = nodeHttpTransport();

interface Server {
  url: string;
  proc: ChildProcess;
}

function startProcess(args: string[], pattern: RegExp): Promise<Server> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no start within 60 s: ${args.join(' ')}\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, proc });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`exited ${code}: ${args.join(' ')}\n${out}`)));
  });
}

async function stop(s: Server): Promise<void> {
  s.proc.removeAllListeners('exit');
  const done = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  await done;
}

async function measure(url: string, model: string, binary: boolean, c: number, label: string): Promise<LevelResult> {
  const { results } = await runPerf({
    url,
    model,
    version: '1',
    batch: 1,
    concurrency: [c, c, 1],
    inputData: 'random',
    shapes: new Map(),
    binary,
    intervalMs: WINDOW_MS,
    stabilityPct: 10,
    maxTrials: TRIALS,
    sequenceLength: 1,
    sequenceIdStart: 1,
    transport,
  });
  const r = results[0]!;
  if (r.errors > 0 || r.invalid > 0) throw new Error(`${label} c=${c}: ${r.errors} errors, ${r.invalid} invalid: ${r.firstError}`);
  return r;
}

/** The median of each number over rounds (throughput and every latency separately). */
function median(rs: LevelResult[]): LevelResult {
  type Num = 'throughput' | 'avgUs' | 'p50Us' | 'p90Us' | 'p95Us' | 'p99Us' | 'clientSendUs' | 'clientRecvUs';
  const m = (k: Num) => rs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rs.length / 2)]!;
  const base = [...rs].sort((a, b) => a.throughput - b.throughput)[Math.floor(rs.length / 2)]!;
  const keys: Num[] = ['throughput', 'avgUs', 'p50Us', 'p90Us', 'p95Us', 'p99Us', 'clientSendUs', 'clientRecvUs'];
  return { ...base, ...Object.fromEntries(keys.map((k) => [k, m(k)])), requests: rs.reduce((n, r) => n + r.requests, 0) };
}

function limit(m: BenchModel): { batch: number; rowsPerSec: number; msPerRun: number }[] {
  const file = join(tmpdir(), `nereid-bench-${m.id}.onnx`);
  writeFileSync(file, m.onnx);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/limit.ts', file, JSON.stringify(m.inputs), BATCHES.join(','), String(LIMIT_MS)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`limit measurement failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const rows: Row[] = [];
const limits: Record<string, { batch: number; rowsPerSec: number; msPerRun: number }[]> = {};
spawnSync(process.execPath, ['build.mjs', '--quiet'], { stdio: 'inherit' });
for (const m of benchModels(quick)) {
  process.stderr.write(`${m.title}\n`);
  limits[m.id] = limit(m);
  for (const l of limits[m.id]!)
    process.stderr.write(
      `  in-process session.run batch ${String(l.batch).padEnd(3)} ${l.rowsPerSec.toFixed(0).padStart(7)} rows/s (${l.msPerRun.toFixed(3)} ms/run)\n`,
    );
  const onnx = join(tmpdir(), `nereid-bench-${m.id}.onnx`);
  // Both servers run side by side; each cell is measured in turn, round after round, so that a
  // slow minute on a shared machine lands on every scenario alike.
  const naive = await startProcess(['--import', 'tsx', 'bench/naive-server.ts', onnx], /listening on (http:\/\/\S+)/);
  const repo = benchRepository(m, m.id === 'tiny' ? 0 : 500);
  const nereid = await startProcess(
    ['bin/nereid.mjs', 'serve', '--model-repository', repo, '--http-port', '0', '--metrics-port', '0', '--http-address', '127.0.0.1'],
    /HTTP server listening on (http:\/\/\S+)/,
  );
  const scenarios: { scenario: Row['scenario']; label: string; url: string; model: string; binary: boolean }[] = [
    { scenario: 'naive', label: 'naive: bare hono + session.run', url: naive.url, model: 'model', binary: true },
    { scenario: 'json', label: 'Nereid, JSON tensors', url: nereid.url, model: 'plain', binary: false },
    { scenario: 'binary', label: 'Nereid, binary tensors', url: nereid.url, model: 'plain', binary: true },
    { scenario: 'batched', label: 'Nereid, binary + dynamic batching', url: nereid.url, model: 'batched', binary: true },
  ];
  const cells = new Map<string, LevelResult[]>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of CONCURRENCY) {
      for (const s of scenarios) {
        const r = await measure(s.url, s.model, s.binary, c, s.label);
        process.stderr.write(
          `  [${round}/${ROUNDS}] ${s.label.padEnd(34)} c=${String(c).padEnd(3)} ${r.throughput.toFixed(0).padStart(7)} infer/s  p50 ${(r.p50Us / 1000).toFixed(2)} ms  p99 ${(r.p99Us / 1000).toFixed(2)} ms\n`,
        );
        const k = `${s.scenario}/${c}`;
        cells.set(k, [...(cells.get(k) ?? []), r]);
      }
    }
  }
  for (const s of scenarios) rows.push({ model: m.id, scenario: s.scenario, results: CONCURRENCY.map((c) => median(cells.get(`${s.scenario}/${c}`)!)) });
  await stop(naive);
  await stop(nereid);
  rmSync(repo, { recursive: true, force: true });
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  nproc: availableParallelism(),
  memGiB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${release()}`,
  node: process.version,
  ort: JSON.parse(readFileSync('node_modules/onnxruntime-node/package.json', 'utf8')).version as string,
  nereid: JSON.parse(readFileSync('package.json', 'utf8')).version as string,
};
const seconds = (performance.now() - started) / 1000;
mkdirSync('docs/bench', { recursive: true });
const svg = renderChart(rows, benchModels(quick));
const md = renderResults({
  rows,
  limits,
  machine,
  quick,
  seconds,
  concurrency: CONCURRENCY,
  windowMs: WINDOW_MS,
  trials: TRIALS,
  rounds: ROUNDS,
  models: benchModels(quick),
});
const suffix = quick ? '-quick' : '';
writeFileSync(`docs/bench/throughput-vs-p99${suffix}.svg`, svg);
writeFileSync(`docs/bench/RESULTS${suffix}.md`, md.replace('throughput-vs-p99.svg', `throughput-vs-p99${suffix}.svg`));
console.log(md.split('\n## ')[1] ? `## ${md.split('\n## ')[1]}` : md);
console.log(`wrote docs/bench/RESULTS${suffix}.md and docs/bench/throughput-vs-p99${suffix}.svg in ${seconds.toFixed(0)} s`);
