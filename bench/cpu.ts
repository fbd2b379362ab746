// Server CPU time per request, Nereid next to the naive server, on one model: less noisy than
// throughput on a shared machine, since it counts the server process's own CPU seconds.
// Usage: node --import tsx bench/cpu.ts [tiny|mlp|conv] [plain|batched] [--concurrency N] [--requests N] [--json] [--param KEY=VALUE]...
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeHttpTransport } from '../src/cli/perf-transport.ts';
import { benchModels, benchRepository } from './models.ts';

const args = process.argv.slice(2);
const flag = (name: string, def: number) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : def);
const [id = 'tiny', which = 'plain'] = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const conc = flag('concurrency', 16);
const total = flag('requests', 20000);
const json = args.includes('--json');
const params = args.flatMap((a, i) => (args[i - 1] === '--param' ? [a.split('=')] : []));
const extraConfig = params.map(([k, v]) => `parameters { key: "${k}" value { string_value: "${v}" } }\n`).join('');
const m = benchModels(false).find((x) => x.id === id)!;
const transport = nodeHttpTransport();
const enc = new TextEncoder();

function body(): { body: Uint8Array; headers: Record<string, string> } {
  const inputs = m.inputs.map((t) => ({ t, data: Float32Array.from({ length: t.dims.reduce((a, b) => a * b, 1) }, () => Math.random()) }));
  if (json) {
    const b = enc.encode(
      JSON.stringify({ inputs: inputs.map(({ t, data }) => ({ name: t.name, datatype: 'FP32', shape: [1, ...t.dims], data: Array.from(data) })) }),
    );
    return { body: b, headers: { 'content-type': 'application/json' } };
  }
  const head = enc.encode(
    JSON.stringify({
      inputs: inputs.map(({ t, data }) => ({ name: t.name, datatype: 'FP32', shape: [1, ...t.dims], parameters: { binary_data_size: data.byteLength } })),
      outputs: m.outputs.map((o) => ({ name: o.name, parameters: { binary_data: true } })),
    }),
  );
  const out = new Uint8Array(head.byteLength + inputs.reduce((n, i) => n + i.data.byteLength, 0));
  out.set(head);
  let at = head.byteLength;
  for (const i of inputs) {
    out.set(new Uint8Array(i.data.buffer), at);
    at += i.data.byteLength;
  }
  return { body: out, headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.byteLength) } };
}

const ticks = (file: string) => {
  const f = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime in clock ticks (100 Hz) → ms
};
/** CPU ms of the whole process and of its main (JavaScript) thread. */
const cpuMs = (pid: number) => ({ all: ticks(`/proc/${pid}/stat`), main: ticks(`/proc/${pid}/task/${pid}/stat`) });

let serverOutput = '';
async function start(naive: boolean): Promise<{ url: string; proc: ChildProcess }> {
  let a: string[];
  if (naive) {
    const file = join(tmpdir(), `nereid-cpu-${id}.onnx`);
    writeFileSync(file, m.onnx);
    a = ['--import', 'tsx', 'bench/naive-server.ts', file];
  } else {
    a = [
      'bin/nereid.mjs',
      'serve',
      '--model-repository',
      benchRepository(m, id === 'tiny' ? 0 : 500, extraConfig),
      '--http-port',
      '0',
      '--metrics-port',
      '0',
      '--grpc-port',
      '0',
      '--http-address',
      '127.0.0.1',
    ];
  }
  const pin = process.env.SERVER_CPUS ? ['taskset', '-c', process.env.SERVER_CPUS] : [];
  const proc = spawn(
    pin[0] ?? process.execPath,
    [
      ...pin.slice(1),
      ...(pin.length ? [process.execPath] : []),
      ...(process.env.PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROF}`] : []),
      ...(process.env.SERVER_FLAGS ? process.env.SERVER_FLAGS.split(' ') : []),
      ...a,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await new Promise<string>((resolve) => {
    let out = '';
    const on = (d: Buffer) => {
      out += d;
      serverOutput += d;
      const m = out.match(/(?:HTTP server listening|^listening) on (http:\/\/\S+)/m);
      if (m) resolve(m[1]!);
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
  });
  return { url, proc };
}

async function load(url: string, n: number): Promise<number> {
  const { body: b, headers } = body();
  let sent = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (sent < n) {
        sent++;
        const r = await transport(url, b, headers);
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${new TextDecoder().decode(r.body)}`);
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

for (const naive of process.env.ONLY === 'nereid' ? [false] : process.env.ONLY === 'naive' ? [true] : [true, false]) {
  const s = await start(naive);
  const url = naive ? `${s.url}/v2/models/model/versions/1/infer` : `${s.url}/v2/models/${which}/versions/1/infer`;
  await load(url, 2000);
  serverOutput = '';
  const c0 = cpuMs(s.proc.pid!);
  const client0 = process.cpuUsage();
  const rate = await load(url, total);
  const client = process.cpuUsage(client0);
  const c1 = cpuMs(s.proc.pid!);
  console.log(
    `${(naive ? 'naive' : `nereid ${which}`).padEnd(16)} ${id}${params.length ? ` [${params.map((p) => p.join('=')).join(' ')}]` : ''} c=${conc} ${json ? 'json' : 'binary'}: ${rate.toFixed(0).padStart(6)} req/s, server CPU ${(((c1.all - c0.all) * 1000) / total).toFixed(0).padStart(4)} µs/request (main thread ${(((c1.main - c0.main) * 1000) / total).toFixed(0).padStart(4)}), client CPU ${((client.user + client.system) / total).toFixed(0)} µs/request`,
  );
  if (process.env.SERVER_FLAGS?.includes('--trace-gc'))
    console.log(`  GCs during the run: ${serverOutput.split('Scavenge').length - 1} scavenges, ${serverOutput.split('Mark-Compact').length - 1} mark-compacts`);
  s.proc.kill('SIGTERM');
  await new Promise((r) => s.proc.once('exit', r));
}
