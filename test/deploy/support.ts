// Shared by the deploy tests: render and parse manifests, check container args against
// `nereid serve`'s flag table, start the real CLI with a manifest's args (ports and repository
// remapped), and answer the questions the tests ask of it (inference, RSS).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseArgs } from '../../src/cli/args.ts';
import { SERVE_FLAGS } from '../../src/cli/serve-flags.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { tmpTree } from '../helpers/tmp.ts';

export const BIN = resolve('bin/nereid.mjs');
export const DEPLOY = resolve('deploy');

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is checked field by field in the tests
export type Doc = Record<string, any>;

/** gRPC lands in its own change: its flags are checked once the flag table has them. */
export const GRPC_KNOWN = SERVE_FLAGS.some((f) => f.name === 'grpc-port');
const GRPC_FLAG = /^--(grpc-[a-z-]+|allow-grpc)(=|$)/;

/** Every document of a YAML stream, parsed by the `yaml` package (a syntax error fails the test). */
export function parseYaml(text: string): Doc[] {
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('\n'));
    return d.toJS() as Doc;
  });
}

export const readYaml = (path: string): Doc[] => parseYaml(readFileSync(path, 'utf8'));

/** `kubectl kustomize DIR`, parsed. */
export function kustomize(dir: string): Doc[] {
  return parseYaml(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 }));
}

export const ofKind = (docs: Doc[], kind: string): Doc[] => docs.filter((d) => d.kind === kind);

/** A container's args without the gRPC flags when this build has no gRPC yet. */
export function effectiveArgs(args: string[]): string[] {
  return GRPC_KNOWN ? args : args.filter((a) => !GRPC_FLAG.test(a));
}

/**
 * `nereid serve` args (after the image's `node bin/nereid.mjs` entrypoint) parsed with the CLI's
 * own parser and flag table: an unknown flag or a bad value throws the CLI's own message.
 */
export function parseServeArgs(args: string[]): Record<string, unknown> {
  if (args[0] !== 'serve') throw new Error(`the first argument must be the command 'serve', got '${args[0]}'`);
  const { flags, positionals } = parseArgs(args.slice(1), SERVE_FLAGS);
  if (positionals.length > 0) throw new Error(`unexpected positional arguments ${positionals.join(' ')}`);
  return flags;
}

/** A port nobody listens on right now (for flags whose chosen port the server does not print). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createNetServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

/**
 * The manifest's args with the listen ports remapped (HTTP and metrics to 0, printed on start;
 * gRPC to `grpcPort`), the address to loopback and every repository to `repo`; everything else as
 * written.
 */
const REMAPPED = ['--http-port', '--metrics-port', '--grpc-port', '--model-repository', '--model-store', '--http-address', '--metrics-address'];

export function remapArgs(args: string[], repo: string, grpcPort?: number): string[] {
  const out = args.map((a) => {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (!m) return a;
    if (m[1] === 'http-port' || m[1] === 'metrics-port') return `--${m[1]}=0`;
    if (m[1] === 'grpc-port') return `--grpc-port=${grpcPort ?? 0}`;
    if (m[1] === 'model-repository' || m[1] === 'model-store') return `--${m[1]}=${repo}`;
    if (m[1] === 'http-address' || m[1] === 'metrics-address' || m[1] === 'grpc-address') return `--${m[1]}=127.0.0.1`;
    return a;
  });
  const split = args.find((a) => REMAPPED.includes(a));
  if (split) throw new Error(`write ${split}=VALUE as one argument in manifests (the test remaps it)`);
  // The image's own CMD leaves gRPC at its default port: never bind 8001 in a test.
  const grpc = GRPC_KNOWN && !args.some((a) => a.startsWith('--grpc-port=')) ? [`--grpc-port=${grpcPort ?? 0}`] : [];
  return [...out, ...grpc, '--http-address=127.0.0.1', ...(GRPC_KNOWN ? ['--grpc-address=127.0.0.1'] : [])];
}

export interface ServeProcess {
  proc: ChildProcess;
  pid: number;
  url: string;
  metricsUrl?: string;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Starts `node BIN ARGS` (BIN defaults to this checkout's bin/nereid.mjs) and resolves once it
 * prints its HTTP listening line (and the metrics one, unless --allow-metrics=false).
 */
export function startServe(
  argv: string[],
  opts: { env?: Record<string, string>; cwd?: string; command?: string[]; timeoutMs?: number } = {},
): Promise<ServeProcess> {
  const command = opts.command ?? [process.execPath, BIN];
  const proc = spawn(command[0]!, [...command.slice(1), ...argv], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const wantMetrics = !argv.includes('--allow-metrics=false');
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      fail(new Error(`server did not start:\n${out}`));
    }, opts.timeoutMs ?? 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const http = out.match(/HTTP server listening on (http:\/\/[^\s"]+)/);
      const metrics = out.match(/Metrics server listening on (http:\/\/[^\s"]+)\/metrics/);
      if (http && (metrics || !wantMetrics)) {
        clearTimeout(timer);
        proc.stdout!.off('data', onData);
        proc.stderr!.off('data', onData);
        const keep = (x: Buffer) => (out += x.toString());
        proc.stdout!.on('data', keep);
        proc.stderr!.on('data', keep);
        done({
          proc,
          pid: proc.pid!,
          url: http[1]!,
          metricsUrl: metrics?.[1],
          output: () => out,
          exited,
          stop: (signal = 'SIGTERM') => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            return exited;
          },
        });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
}

export const ADD_SUB_CONFIG = `name: "add_sub"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
instance_group [ { kind: KIND_CPU count: 1 } ]
`;

/** A temp repository with one model, add_sub (sum and difference of two FP32 [16] inputs). */
export function addSubRepo(): string {
  return tmpTree({ 'add_sub/config.pbtxt': ADD_SUB_CONFIG, 'add_sub/1/model.onnx': addSubModel() });
}

/** One add_sub inference over HTTP; resolves with OUTPUT0 and OUTPUT1 (checked by the caller). */
export async function inferAddSub(url: string, a: number[], b: number[], model = 'add_sub'): Promise<{ status: number; sum?: number[]; diff?: number[] }> {
  const res = await fetch(`${url}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: a },
        { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: b },
      ],
    }),
  });
  if (res.status !== 200) return { status: res.status };
  const body = (await res.json()) as { outputs: { name: string; data: number[] }[] };
  const out = (n: string) => body.outputs.find((o) => o.name === n)!.data;
  return { status: 200, sum: out('OUTPUT0'), diff: out('OUTPUT1') };
}

/** Checks add_sub's answer against sums and differences computed here. */
export async function expectAddSubWorks(url: string, model = 'add_sub'): Promise<void> {
  const a = Array.from({ length: 16 }, (_, i) => i * 1.5 - 4);
  const b = Array.from({ length: 16 }, (_, i) => 7 - i * 0.25);
  const r = await inferAddSub(url, a, b, model);
  if (r.status !== 200) throw new Error(`inference on ${model} answered ${r.status}`);
  const sum = a.map((x, i) => x + b[i]!);
  const diff = a.map((x, i) => x - b[i]!);
  for (let i = 0; i < 16; i++) {
    if (Math.abs(r.sum![i]! - sum[i]!) > 1e-5 || Math.abs(r.diff![i]! - diff[i]!) > 1e-5) {
      throw new Error(`wrong answer at ${i}: ${r.sum![i]}, ${r.diff![i]} (expected ${sum[i]}, ${diff[i]})`);
    }
  }
}

/** Resident set size of a process in bytes (VmRSS in /proc/PID/status). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** Resolves once GET url answers `status` (polling), or rejects with the last answer after `timeoutMs`. */
export async function waitForStatus(url: string, status: number, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status === status) return;
      last = String(r.status);
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}
