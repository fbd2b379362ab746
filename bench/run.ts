// `npm run bench [-- --quick] [-- --no-build]`: Nereid next to the limit (in-process session.run)
// and next to the naive alternative (a bare hono + onnxruntime handler), every HTTP scenario driven
// by wrk, in one session on one machine; with the server CPU and the tensor bytes copied per
// request. Writes docs/bench/RESULTS.md and docs/bench/throughput-vs-p99.svg (`-quick` in quick mode).
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { renderChart } from './chart.ts';
import { grpcInferClient, loadGrpc, runGrpcLoad } from './grpc-load.ts';
import { COPIED_METRIC, readCopiedBytes } from './metrics.ts';
import { type BenchModel, benchModels, benchRepository } from './models.ts';
import { cpuMicros, hasProcStat } from './proc-cpu.ts';
import { binaryRequest, inferPath, jsonRequest, naiveCopiedBytes, randomInputs } from './requests.ts';
import { type Cell, type Limit, type Row, renderResults, type Scenario, SCENARIO_NAMES, type SchedulerResult } from './results.ts';
import { type NereidServer, otherNode, type ServerProcess, serveFeatures, startNaive, startNereid } from './servers.ts';
import { type LoadResult, runWrk, WRK, wrkThreads, wrkVersion, writeScript } from './wrk.ts';

// onnxruntime-node's telemetry (and its `.ses` / `mat-debug-<pid>.log` files in the temp dir) off in
// every process this starts, as Nereid's own server does (src/platform/ort/node/backend.ts).
process.env.ORT_DISABLE_TELEMETRY ??= '1';

const quick = process.argv.includes('--quick');
const CONCURRENCY = quick ? [1, 16] : [1, 4, 16, 64];
/** The concurrencies a model is measured at: all of them, but in quick mode both only for the tiny model (wrk at -c1 and above). */
const levels = (m: BenchModel) => (quick && m.id !== 'tiny' ? CONCURRENCY.slice(-1) : CONCURRENCY);
/** Every cell is measured this many times, interleaved with the other scenarios; the median is reported. */
const ROUNDS = quick ? 1 : 3;
/** Seconds per measurement window (wrk takes whole seconds). */
const WINDOW_S = quick ? 1 : 5;
const WARMUP_S = quick ? 0 : 1;
const LIMIT_MS = quick ? 200 : 2000;
const BATCHES = quick ? [1, 8, 64] : [1, 2, 4, 8, 16, 32, 64];
const SCHEDULER_ARGS = quick ? ['--requests', '1000', '--trials', '1'] : [];
const CORES = availableParallelism();
const started = performance.now();
const say = (line: string) => process.stderr.write(`${line}\n`);

const version = wrkVersion();
if (!version) {
  console.error(`bench: wrk (${WRK}) is not installed; install it with \`sudo apt-get install wrk\` (or set WRK to a wrk binary)`);
  process.exit(1);
}
if (!process.argv.includes('--no-build')) {
  const b = spawnSync(process.execPath, ['build.mjs', '--quiet'], { stdio: 'inherit' });
  if (b.status !== 0) {
    console.error('bench: the build failed (above); fix it, or pass --no-build to measure the dist/ there is');
    process.exit(1);
  }
}

const features = serveFeatures();
const grpcMods = features.grpc ? await loadGrpc() : undefined;
const notes: string[] = [];
if (!features.grpc) notes.push('No gRPC row: `nereid serve --help` lists no `--grpc-port`.');
else if (typeof grpcMods === 'string') notes.push(`No gRPC row: ${grpcMods}.`);
if (!features.httpThreads) notes.push('No front-end thread scenario: `nereid serve --help` lists no `--http-thread-count`.');
if (!hasProcStat) notes.push('Server CPU per request is n/a: this system has no /proc/<pid>/stat.');

const models = benchModels(quick);
/** A second Node (the system's, when npm runs the bench on the registry's Node 24) for the tiny model. */
const other = otherNode();
{
  const perModel = (m: BenchModel) =>
    4 + (features.grpc && typeof grpcMods !== 'string' ? 1 : 0) + (m.id === 'tiny' && features.httpThreads ? 1 : 0) + (m.id === 'tiny' && other ? 1 : 0);
  const scenarios = models.reduce((n, m) => n + perModel(m), 0);
  const windows = models.reduce((n, m) => n + perModel(m) * levels(m).length, 0) * ROUNDS;
  const estimate =
    windows * (WINDOW_S + 0.3) +
    scenarios * (WARMUP_S + 0.3) +
    models.length * ((BATCHES.length * LIMIT_MS) / 1000 + 3) +
    models.length * 4 +
    (quick ? 5 : 20) +
    (process.argv.includes('--no-build') ? 0 : 15);
  say(
    `bench${quick ? ' --quick' : ''}: ${scenarios} scenarios, ${windows} windows of ${WINDOW_S} s (concurrency ${CONCURRENCY.join(', ')}; ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}), ${version}; about ${Math.ceil(estimate / 60)} min (${Math.round(estimate)} s) in all`,
  );
}

/** Per-request overhead with a no-op backend (bench/scheduler.ts), or why there is none. */
function schedulerBench(): SchedulerResult | string {
  say('scheduler overhead (no-op backend)');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/scheduler.ts', ...SCHEDULER_ARGS, '--json'], { encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('SCHEDULER_RESULT '));
  for (const l of r.stdout.split('\n').filter((x) => x && !x.startsWith('SCHEDULER_RESULT '))) say(`  ${l}`);
  if (!line) return `bench/scheduler.ts exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`;
  return JSON.parse(line.slice('SCHEDULER_RESULT '.length)) as SchedulerResult;
}

function limit(m: BenchModel, file: string): Promise<Limit[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bench/limit.ts', file, JSON.stringify(m.inputs), BATCHES.join(','), String(LIMIT_MS)],
      { encoding: 'utf8' },
      (err, stdout, stderr) =>
        err ? reject(new Error(`limit measurement failed: ${stderr || err.message}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!)),
    );
  });
}

interface Target {
  scenario: Scenario;
  /** The process whose CPU is counted. */
  pid: number;
  /** Its metrics endpoint (Nereid), read for the bytes copied. */
  metricsUrl?: string;
  /** Bytes copied per request computed from the code (the naive server). */
  computedCopies?: number;
  load(c: number, seconds: number): Promise<LoadResult>;
  cleanup?(): void;
}

function httpTarget(scenario: Scenario, url: string, model: string, req: ReturnType<typeof binaryRequest>, pid: number, extra: Partial<Target>): Target {
  const script = writeScript(req);
  return {
    scenario,
    pid,
    ...extra,
    load: (c, seconds) => runWrk({ url: `${url}${inferPath(model)}`, script: script.path, threads: wrkThreads(c, CORES), connections: c, seconds }),
    cleanup: script.remove,
  };
}

/** One window: the load, with the server's CPU and Nereid's copy counter read on either side. */
async function measure(t: Target, c: number): Promise<Cell> {
  const m0 = t.metricsUrl ? await readCopiedBytes(t.metricsUrl) : undefined;
  const cpu0 = hasProcStat ? cpuMicros(t.pid) : 0;
  const r = await t.load(c, WINDOW_S);
  const cpu1 = hasProcStat ? cpuMicros(t.pid) : 0;
  const m1 = t.metricsUrl ? await readCopiedBytes(t.metricsUrl) : undefined;
  const per = (x: number) => (r.requests > 0 ? x / r.requests : undefined);
  return {
    level: c,
    ...r,
    cpuUsPerRequest: hasProcStat ? per(cpu1 - cpu0) : undefined,
    copiedPerRequest: t.computedCopies ?? (m0 !== undefined && m1 !== undefined ? per(m1 - m0) : undefined),
  };
}

/** The median of each number over the rounds; requests and errors summed. */
function median(cells: Cell[]): Cell {
  const mid = <T>(xs: T[]) => xs[Math.floor(xs.length / 2)]!;
  const m = (k: 'throughput' | 'p50Us' | 'p90Us' | 'p99Us' | 'seconds') => mid(cells.map((x) => x[k]).sort((a, b) => a - b));
  const opt = (k: 'cpuUsPerRequest' | 'copiedPerRequest') => {
    const xs = cells.map((x) => x[k]).filter((x): x is number => x !== undefined);
    return xs.length ? mid(xs.sort((a, b) => a - b)) : undefined;
  };
  return {
    level: cells[0]!.level,
    requests: cells.reduce((n, x) => n + x.requests, 0),
    errors: cells.reduce((n, x) => n + x.errors, 0),
    throughput: m('throughput'),
    seconds: m('seconds'),
    p50Us: m('p50Us'),
    p90Us: m('p90Us'),
    p99Us: m('p99Us'),
    cpuUsPerRequest: opt('cpuUsPerRequest'),
    copiedPerRequest: opt('copiedPerRequest'),
  };
}

const scheduler = schedulerBench();
const rows: Row[] = [];
const limits: Record<string, Limit[]> = {};
const naiveCopies: Record<string, { total: number; handler: number }> = {};
const failures: string[] = [];
let copiedMissing = false;
let threadsLine: string | undefined;

// A server that does not start, or a load generator that fails, ends the run with its message
// (and the server's output), never a stack trace; the servers are stopped first.
try {
  for (const m of models) {
    say(m.title);
    const onnx = join(tmpdir(), `nereid-bench-${m.id}-${process.pid}.onnx`);
    writeFileSync(onnx, m.onnx);
    const repo = benchRepository(m, m.id === 'tiny' ? 0 : 500);
    const servers: ServerProcess[] = [];
    const targets: Target[] = [];
    try {
      // The limit runs alone (it is given every core), except in quick mode, where only the time counts.
      const lim = limit(m, onnx);
      lim.catch(() => {}); // awaited below; a failure surfaces there
      if (!quick) await lim;
      // All servers of the model run side by side; each cell is measured in turn, round after round,
      // so that a slow minute on a shared machine lands on every scenario alike.
      const withThreads = m.id === 'tiny' && features.httpThreads;
      const oneThread = features.httpThreads ? ['--http-thread-count', '1'] : [];
      const started = <T extends { server: ServerProcess }>(p: Promise<T>) =>
        p.then((x) => {
          servers.push(x.server); // stopped in `finally` even when another one fails to start
          return x;
        });
      const ups = [
        started(startNaive(onnx)),
        started(startNereid(repo, features, typeof grpcMods === 'object', oneThread)),
        withThreads ? started(startNereid(repo, features, false, ['--http-thread-count', '2'])) : undefined,
        m.id === 'tiny' && other ? started(startNereid(repo, features, false, oneThread, other.path)) : undefined,
      ] as const;
      await Promise.allSettled(ups); // every start over (up, or failed and stopped) before any failure is thrown
      const [naive, nereid, nereid2, nereidOther] = await Promise.all(ups);
      limits[m.id] = await lim;
      for (const l of limits[m.id]!)
        say(`  in-process session.run batch ${String(l.batch).padEnd(3)} ${l.rowsPerSec.toFixed(0).padStart(7)} rows/s (${l.msPerRun.toFixed(3)} ms/run)`);
      const inputs = randomInputs(m);
      const nc = naiveCopiedBytes(m);
      naiveCopies[m.id] = nc;
      const nereidExtra = (s: NereidServer) => ({ metricsUrl: s.metricsUrl });
      targets.push(
        httpTarget('naive', naive.url, 'model', binaryRequest(m, inputs), naive.server.proc.pid!, { computedCopies: nc.total }),
        httpTarget('json', nereid.url, 'plain', jsonRequest(m, inputs), nereid.server.proc.pid!, nereidExtra(nereid)),
        httpTarget('binary', nereid.url, 'plain', binaryRequest(m, inputs), nereid.server.proc.pid!, nereidExtra(nereid)),
        httpTarget('batched', nereid.url, 'batched', binaryRequest(m, inputs), nereid.server.proc.pid!, nereidExtra(nereid)),
      );
      if (features.grpc && grpcMods && typeof grpcMods !== 'string') {
        const client = nereid.grpc
          ? await grpcInferClient(grpcMods, nereid.grpc).catch((e: Error) => {
              notes.push(`No gRPC row for ${m.id}: the client could not connect to ${nereid.grpc} (${e.message}).`);
              return undefined;
            })
          : undefined;
        if (client) {
          targets.push({
            scenario: 'grpc',
            pid: nereid.server.proc.pid!,
            metricsUrl: nereid.metricsUrl,
            load: (c, seconds) => runGrpcLoad(client, 'plain', inputs, c, seconds),
            cleanup: () => client.close(),
          });
        } else if (!nereid.grpc && m === models[0]) notes.push('No gRPC row: `nereid serve` has `--grpc-port` but printed no "GRPC server listening on" line.');
      }
      if (nereid2) {
        targets.push(httpTarget('threads2', nereid2.url, 'plain', binaryRequest(m, inputs), nereid2.server.proc.pid!, nereidExtra(nereid2)));
        const said = nereid2.server
          .output()
          .split('\n')
          .find((l) => /front-end thread|reusePort|\(\d+ threads\)/i.test(l));
        if (said) {
          threadsLine = said.replace(/^[IWEV] \S+ /, '').trim(); // without the log prefix (level, time)
          notes.push(`The server started with \`--http-thread-count 2\` said: "${threadsLine}" (Node ${process.version}).`);
        }
      }
      if (nereidOther)
        targets.push(httpTarget('otherNode', nereidOther.url, 'plain', binaryRequest(m, inputs), nereidOther.server.proc.pid!, nereidExtra(nereidOther)));
      const label = (s: Scenario) => SCENARIO_NAMES[s].replace(/ per request \(binary\)$/, '');
      if (WARMUP_S > 0) for (const t of targets) await t.load(Math.min(16, CONCURRENCY[CONCURRENCY.length - 1]!), WARMUP_S);
      const cells = new Map<string, Cell[]>();
      for (let round = 1; round <= ROUNDS; round++) {
        for (const c of levels(m)) {
          for (const t of targets) {
            const r = await measure(t, c);
            if (t.metricsUrl && r.copiedPerRequest === undefined) copiedMissing = true;
            say(
              `  [${round}/${ROUNDS}] ${label(t.scenario).padEnd(36)} c=${String(c).padEnd(3)} ${r.throughput.toFixed(0).padStart(7)} infer/s  p50 ${(r.p50Us / 1000).toFixed(2)} ms  p99 ${(r.p99Us / 1000).toFixed(2)} ms  CPU ${r.cpuUsPerRequest === undefined ? 'n/a' : `${r.cpuUsPerRequest.toFixed(0)} µs/req`}  copied ${r.copiedPerRequest === undefined ? 'n/a' : `${r.copiedPerRequest.toFixed(0)} B/req`}${r.errors ? `  ${r.errors} ERRORS` : ''}`,
            );
            if (r.requests === 0 || r.errors > 0) failures.push(`${m.id} ${SCENARIO_NAMES[t.scenario]} c=${c}: ${r.requests} requests, ${r.errors} errors`);
            const k = `${t.scenario}/${c}`;
            cells.set(k, [...(cells.get(k) ?? []), r]);
          }
        }
      }
      for (const t of targets)
        rows.push({
          model: m.id,
          scenario: t.scenario,
          copied: t.computedCopies !== undefined ? 'computed' : 'metric',
          cells: levels(m).map((c) => median(cells.get(`${t.scenario}/${c}`)!)),
        });
    } finally {
      for (const t of targets) t.cleanup?.();
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(repo, { recursive: true, force: true });
      rmSync(onnx, { force: true });
    }
  }
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
}
if (copiedMissing) notes.push(`Tensor bytes copied are n/a for Nereid: its metrics endpoint does not export \`${COPIED_METRIC}\`.`);

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  nproc: CORES,
  memGiB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${release()}`,
  node: process.version,
  ort: JSON.parse(readFileSync('node_modules/onnxruntime-node/package.json', 'utf8')).version as string,
  nereid: JSON.parse(readFileSync('package.json', 'utf8')).version as string,
};
const seconds = (performance.now() - started) / 1000;
mkdirSync('docs/bench', { recursive: true });
const md = renderResults({
  rows,
  limits,
  machine,
  quick,
  seconds,
  concurrency: CONCURRENCY,
  windowS: WINDOW_S,
  rounds: ROUNDS,
  wrk: { version, threads: Object.fromEntries(CONCURRENCY.map((c) => [c, wrkThreads(c, CORES)])) },
  scheduler,
  notes,
  models,
  naiveCopies,
  threadsLine,
  otherNode: rows.some((r) => r.scenario === 'otherNode') ? other : undefined,
});
const suffix = quick ? '-quick' : '';
writeFileSync(`docs/bench/throughput-vs-p99${suffix}.svg`, renderChart(rows, models));
writeFileSync(`docs/bench/RESULTS${suffix}.md`, md.replace('throughput-vs-p99.svg', `throughput-vs-p99${suffix}.svg`));
const targetsAt = md.indexOf('## Targets');
console.log(md.slice(targetsAt, md.indexOf('![', targetsAt)).trim());
console.log(`wrote docs/bench/RESULTS${suffix}.md and docs/bench/throughput-vs-p99${suffix}.svg in ${seconds.toFixed(0)} s`);
if (failures.length) {
  console.error(`bench: ${failures.length} cell${failures.length === 1 ? '' : 's'} served no requests or had errors:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
