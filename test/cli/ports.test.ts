import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { BIN } from '../helpers/cli.ts';
import { DENO, DENO_CLI, DENO_RUN, denoEnv, skipDeno } from '../helpers/deno.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * A port that is already taken is reported in one line naming the flag, with exit code 1, before
 * any model loads (the repository's model would otherwise log "successfully loaded").
 */
const CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.once('error', reject);
    p.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Takes a port on 127.0.0.1 (a given one, or any free one). */
function occupy(port = 0): Promise<Server & { port: number }> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port, host: '127.0.0.1' }, () => resolve(Object.assign(s, { port: (s.address() as { port: number }).port })));
  });
}

const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));
/** gRPC on a free loopback port unless a test names one (a later flag wins), never the default 8001. */
const GRPC_FREE = ['--grpc-port', '0', '--grpc-address', '127.0.0.1'];

const repo = tmpTree({ 'add_sub/config.pbtxt': CONFIG, 'add_sub/1/model.onnx': addSubModel() });
/** A model whose initialize() takes 4 s. */
const slowRepo = tmpTree({
  'slow/config.pbtxt':
    'backend: "js"\ninput { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\n',
  'slow/1/model.js':
    'export async function initialize() { await new Promise((r) => setTimeout(r, 4000)); }\nexport function execute(requests) { return requests.map((r) => ({ outputs: { OUTPUT0: r.inputs.INPUT0 } })); }\n',
});
let taken: Server & { port: number };
beforeAll(async () => {
  taken = await occupy();
});
afterAll(() => close(taken));

const runtimes = [
  {
    name: 'Node (nereid serve)',
    skip: false,
    serve: (args: string[]) => run(process.execPath, [BIN, 'serve', '--model-repository', repo, '--http-address', '127.0.0.1', ...GRPC_FREE, ...args]),
  },
  {
    name: 'Deno (src/cli/deno.ts)',
    skip: skipDeno,
    serve: (args: string[]) => run(DENO, [...DENO_RUN, DENO_CLI, '--model-repository', repo, '--http-address', '127.0.0.1', ...GRPC_FREE, ...args], denoEnv()),
  },
];

describe.each(runtimes)('$name: a port in use', ({ skip, serve }) => {
  const inUse = (flag: string, port: number) => `nereid: ${flag} ${port} is already in use (EADDRINUSE); choose another port or stop the process using it`;

  it.skipIf(skip)('--http-port: one line, exit 1, no model loaded', async () => {
    const r = await serve(['--http-port', String(taken.port), '--metrics-port', '0']);
    expect(r.stderr.trim()).toBe(inUse('--http-port', taken.port));
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/loaded|loading/i);
  });

  it.skipIf(skip)('--metrics-port: one line, exit 1, no model loaded', async () => {
    const r = await serve(['--http-port', '0', '--metrics-port', String(taken.port)]);
    expect(r.stderr.trim()).toBe(inUse('--metrics-port', taken.port));
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/loaded|loading/i);
  });

  it.skipIf(skip)('--grpc-port: one line, exit 1, no model loaded', async () => {
    const r = await serve(['--http-port', '0', '--metrics-port', '0', '--grpc-port', String(taken.port)]);
    expect(r.stderr.trim()).toBe(inUse('--grpc-port', taken.port));
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/loaded|loading/i);
  });

  it.skipIf(skip)('the same port for HTTP and metrics collides before loading', async () => {
    const free = await occupy();
    await close(free);
    const r = await serve(['--http-port', String(free.port), '--metrics-port', String(free.port)]);
    expect(r.stderr.trim()).toBe(inUse('--metrics-port', free.port));
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/loaded|loading/i);
  });

  it.skipIf(skip)('the default --metrics-port 8002 is checked too (metrics are on by default)', async () => {
    // Hold 8002 on 127.0.0.1; if something else holds it already, it is just as taken.
    const held = await occupy(8002).catch(() => undefined);
    try {
      const r = await serve(['--http-port', '0']);
      expect(r.stderr.trim()).toBe(inUse('--metrics-port', 8002));
      expect(r.code).toBe(1);
    } finally {
      if (held) await close(held);
    }
  });

  it.skipIf(skip)('a port taken while models load gets the same line (and the process exits)', async () => {
    const free = await occupy();
    await close(free);
    const exit = serve(['--http-port', String(free.port), '--metrics-port', '0', '--model-repository', slowRepo]);
    await new Promise((r) => setTimeout(r, 2000));
    const thief = await occupy(free.port);
    try {
      const r = await exit;
      expect(r.stderr.trim().split('\n').at(-1)).toBe(inUse('--http-port', free.port));
      expect(r.stdout).toMatch(/successfully loaded 'slow'/);
      expect(r.code).toBe(1);
    } finally {
      await close(thief);
    }
  });

  it.skipIf(skip)('an address that is not this machine names --http-address', async () => {
    const r = await serve(['--http-port', '0', '--metrics-port', '0', '--http-address', '192.0.2.1']);
    expect(r.stderr.trim()).toBe('nereid: --http-address 192.0.2.1 is not an address of this machine (EADDRNOTAVAIL)');
    expect(r.code).toBe(1);
  });

  it.skipIf(skip)('an address that does not resolve names --http-address (port 0 too)', async () => {
    const r = await serve(['--http-port', '0', '--metrics-port', '0', '--http-address', 'nereid-test.invalid']);
    expect(r.stderr.trim()).toMatch(/^nereid: --http-address nereid-test\.invalid cannot be resolved to an address \((ENOTFOUND|EAI_AGAIN)\)$/);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/loaded|loading/i);
  });
});
