// Profiles Nereid's server under load: starts it with --cpu-prof on a bench model, drives it with the
// perf client, stops it, and leaves the .cpuprofile in the given directory.
// Usage: node --import tsx bench/profile.ts MODEL(tiny|mlp|conv) plain|batched CONCURRENCY OUTDIR [--json] [--naive]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchModels, benchRepository } from './models.ts';
import { runPerf } from '../src/tools/perf/index.ts';
import { nodeHttpTransport } from '../src/cli/perf-transport.ts';

const [id = 'tiny', which = 'plain', conc = '16', dir = '/tmp/prof'] = process.argv.slice(2);
const m = benchModels(false).find((x) => x.id === id)!;
const repo = benchRepository(m, id === 'tiny' ? 0 : 500);
const naive = process.argv.includes('--naive');
let args = [
  'bin/nereid.mjs',
  'serve',
  '--model-repository',
  repo,
  '--http-port',
  '0',
  '--metrics-port',
  '0',
  '--grpc-port',
  '0',
  '--http-address',
  '127.0.0.1',
];
if (naive) {
  const file = join(tmpdir(), `nereid-profile-${id}.onnx`);
  writeFileSync(file, m.onnx);
  args = ['--import', 'tsx', 'bench/naive-server.ts', file];
}
const proc = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
const url = await new Promise<string>((resolve) => {
  let out = '';
  const on = (d: Buffer) => {
    out += d;
    const mm = out.match(naive ? /listening on (http:\/\/\S+)/ : /HTTP server listening on (http:\/\/\S+)/);
    if (mm) resolve(mm[1]!);
  };
  proc.stdout!.on('data', on);
  proc.stderr!.on('data', on);
});
const c = Number(conc);
const { results } = await runPerf({
  url,
  model: naive ? 'model' : which,
  version: '1',
  batch: 1,
  concurrency: [c, c, 1],
  inputData: 'random',
  shapes: new Map(),
  binary: !process.argv.includes('--json'),
  intervalMs: 2000,
  stabilityPct: 100,
  maxTrials: 3,
  sequenceLength: 1,
  sequenceIdStart: 1,
  transport: nodeHttpTransport(),
});
console.log(results[0]!.throughput.toFixed(0), 'infer/s', (results[0]!.p50Us / 1000).toFixed(2), 'ms p50');
proc.kill('SIGTERM');
await new Promise((r) => proc.once('exit', r));
