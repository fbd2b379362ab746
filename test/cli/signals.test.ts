import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { startCli } from '../helpers/cli.ts';
import { DENO, denoEnv, skipDeno } from '../helpers/deno.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * A supervisor that signals only the process it started (`npm start`, `deno task serve`) must
 * reach the server: it drains ("received SIGTERM, shutting down" … "server stopped"), its port
 * stops accepting, and the launcher exits, leaving no orphaned server behind.
 */
const CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;
const repo = tmpTree({ 'add_sub/config.pbtxt': CONFIG, 'add_sub/1/model.onnx': addSubModel() });
/** A model that takes 2.5 s per request, so a drain has something to wait for. */
const slowRepo = tmpTree({
  'slow/config.pbtxt':
    'backend: "js"\ninput { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\n',
  'slow/1/model.js':
    'export async function execute(requests) { await new Promise((r) => setTimeout(r, 2500)); return requests.map((r) => ({ outputs: { OUTPUT0: r.inputs.INPUT0 } })); }\n',
});
const FREE_PORTS = ['--http-port', '0', '--metrics-port', '0', '--grpc-port', '0', '--http-address', '127.0.0.1', '--grpc-address', '127.0.0.1'];

/** Every process below `pid` (Linux /proc), so that a test can clean up what a launcher left. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface Launched {
  proc: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Launched> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} ${args.join(' ')} did not start:\n${out}`)), 120_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(/HTTP server listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]!, output: () => out, exited });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code} before listening:\n${out}`));
    });
  });
}

/** Resolves once nothing accepts connections at `url` any more (false if it still does at the deadline). */
async function stopsAccepting(url: string, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const refused = await fetch(`${url}/v2/health/live`, { signal: AbortSignal.timeout(1000) }).then(
      () => false,
      (e: unknown) => (e as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED',
    );
    if (refused) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function signalLauncherOnly(run: Launched, signal: NodeJS.Signals): Promise<void> {
  const tree = descendants(run.proc.pid!);
  try {
    expect((await fetch(`${run.url}/v2/health/ready`)).status).toBe(200);
    run.proc.kill(signal); // the launcher only, as a supervisor does
    const exit = await Promise.race([run.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(exit, run.output()).not.toBe('timeout');
    expect(await stopsAccepting(run.url, 5_000), `the server still answers at ${run.url} after ${signal}:\n${run.output()}`).toBe(true);
    expect(run.output()).toContain(`received ${signal}, shutting down`);
    expect(run.output()).toContain('server stopped');
    expect(tree.filter(alive), 'processes left running').toEqual([]);
  } finally {
    for (const pid of [run.proc.pid!, ...tree]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
}

describe.skipIf(process.platform !== 'linux')('signals reach the server through its launcher', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`npm start -- --http-port 0 --metrics-port 0: ${signal} to npm drains the server and npm exits`, { timeout: 180_000 }, async () => {
      // npm start serves examples/models; `--` passes the flags that override the ports.
      const run = await launch('npm', ['start', '--', ...FREE_PORTS]);
      expect(run.output()).toMatch(/successfully loaded 'add_sub'/);
      await signalLauncherOnly(run, signal);
      expect((await run.exited).code).toBe(0);
    });
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it.skipIf(skipDeno)(`deno task serve -- ...: ${signal} to the task drains the server`, { timeout: 180_000 }, async () => {
      const run = await launch(DENO, ['task', 'serve', '--', '--model-repository', repo, ...FREE_PORTS], denoEnv());
      await signalLauncherOnly(run, signal);
    });
  }
});

describe('a repeated signal', () => {
  const body = JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'INT32', data: [7] }] });

  it('within a moment (a launcher forwarding what the terminal already sent) does not cut the drain short', async () => {
    const srv = await startCli(['--model-repository', slowRepo]);
    const inflight = fetch(`${srv.url}/v2/models/slow/infer`, { method: 'POST', body });
    await new Promise((r) => setTimeout(r, 300));
    srv.proc.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 20));
    const exit = srv.stop('SIGINT');
    const done = await inflight;
    expect(done.status).toBe(200);
    expect((await done.json()).outputs[0].data).toEqual([7]);
    expect(await exit).toBe(0);
    expect(srv.output()).toContain('server stopped');
  });

  it('later still means "exit now" (exit code 1, in-flight requests abandoned)', async () => {
    const srv = await startCli(['--model-repository', slowRepo, '--exit-timeout-secs', '30']);
    const inflight = fetch(`${srv.url}/v2/models/slow/infer`, { method: 'POST', body }).catch(() => 'aborted');
    await new Promise((r) => setTimeout(r, 300));
    srv.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1200));
    const started = Date.now();
    expect(await srv.stop('SIGTERM')).toBe(1);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(srv.output()).toMatch(/received SIGTERM again, exiting now/);
    await inflight;
  });
});
