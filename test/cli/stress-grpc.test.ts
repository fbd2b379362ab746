import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcInferenceClient } from '../../src/cli/grpc-client.ts';
import { deadlineScenario } from '../../src/cli/stress/grpc-deadline.ts';
import { GRPC_SCENARIOS } from '../../src/cli/stress/grpc-scenarios.ts';
import { mainRepository } from '../../src/cli/stress/repository.ts';
import type { Outcome, StressContext } from '../../src/cli/stress/scenarios.ts';
import { GraphBuilder } from '../../src/tools/onnx/builder.ts';
import { mulberry32 } from '../../src/tools/onnx/models.ts';
import { BIN, type CliServer, startCli } from '../helpers/cli.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * `nereid stress`'s gRPC scenarios, run for real: against a server with the stress repository
 * they pass; against one whose models compute wrong values (or that refuses big messages) each
 * reports what is wrong. Then a short `nereid stress` run of only the gRPC stream scenarios.
 */

/** The stress accumulator, off by one: OUTPUT = running sum + 1 (and that is the state carried on). */
function offByOneAccumulator(): Uint8Array {
  const g = new GraphBuilder('accumulator_wrong');
  g.input('INPUT', 'int32', ['batch', 1]);
  g.input('STATE_IN', 'int32', ['batch', 1]);
  g.input('START', 'int32', ['batch', 1]);
  g.initializer('one', 'int32', [], [1]);
  const keep = g.node('Sub', ['one', 'START'], ['keep']);
  const kept = g.node('Mul', ['STATE_IN', keep], ['kept']);
  const sum = g.node('Add', [kept, 'INPUT'], ['sum']);
  g.node('Add', [sum, 'one'], ['OUTPUT']);
  g.node('Identity', ['OUTPUT'], ['STATE_OUT']);
  g.output('OUTPUT', 'int32', ['batch', 1]);
  g.output('STATE_OUT', 'int32', ['batch', 1]);
  return g.toBytes();
}

/** add_sub with its outputs swapped: OUTPUT0 = INPUT0 - INPUT1, OUTPUT1 = INPUT0 + INPUT1. */
function subAddModel(): Uint8Array {
  const g = new GraphBuilder('sub_add');
  g.input('INPUT0', 'float32', ['batch', 16]);
  g.input('INPUT1', 'float32', ['batch', 16]);
  g.node('Sub', ['INPUT0', 'INPUT1'], ['OUTPUT0']);
  g.node('Add', ['INPUT0', 'INPUT1'], ['OUTPUT1']);
  g.output('OUTPUT0', 'float32', ['batch', 16]);
  g.output('OUTPUT1', 'float32', ['batch', 16]);
  return g.toBytes();
}

const EXPLICIT = ['--model-control-mode', 'explicit', '--load-model', '*'];
let good: CliServer;
let wrong: CliServer;
const clients: { close(): void }[] = [];

beforeAll(async () => {
  const wrongRepo = mainRepository(tmpTree());
  writeFileSync(join(wrongRepo, 'accumulate', '1', 'model.onnx'), offByOneAccumulator());
  writeFileSync(join(wrongRepo, 'add_sub_plain', '1', 'model.onnx'), subAddModel());
  [good, wrong] = await Promise.all([
    startCli(['--model-repository', mainRepository(tmpTree()), ...EXPLICIT]),
    startCli(['--model-repository', wrongRepo, ...EXPLICIT, '--grpc-max-input-size', String(1 << 20)]),
  ]);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all([good?.stop(), wrong?.stop()]);
});

let ids = 40_000;
/** A scenario context for one server, as the driver makes it (without the HTTP and POLL parts). */
function context(srv: CliServer, seed = 7): StressContext {
  const address = srv.grpc!;
  const conn = grpcInferenceClient(address);
  clients.push(conn);
  return {
    mainUrl: () => srv.url,
    pollUrl: () => undefined,
    rand: mulberry32(seed),
    nextId: () => ids++,
    last: new Map(),
    pollGeneration: { value: 0 },
    grpc: () => conn.client,
    grpcAddress: () => address,
    mainRss: () => undefined,
    deadlineCalls: [],
  };
}

const scenario = (name: string) => GRPC_SCENARIOS.find((s) => s.name === name)!;
const clean = (o: Outcome) => ({ wrong: o.wrong, unexpected: o.unexpected });

describe('gRPC stress scenarios against a correct server', () => {
  it('stream sequences (complete, back-to-back, without END, without START) pass', async () => {
    const ctx = context(good);
    for (const name of ['grpc_sequence_valid', 'grpc_sequence_valid_valid', 'grpc_sequence_no_end', 'grpc_sequence_no_start']) {
      for (let i = 0; i < 3; i++) {
        const o = await scenario(name).run(ctx);
        expect(clean(o), name).toEqual({ wrong: undefined, unexpected: undefined });
        expect(o.requests, name).toBeGreaterThanOrEqual(name === 'grpc_sequence_no_start' ? 2 : 1);
      }
    }
  });

  it('sequences without END hold every slot, and a new sequence still runs once the idle timeout frees one', async () => {
    const ctx = context(good, 11);
    // 2 instances x max_batch_size 4 = 8 slots, all taken by sequences that never END.
    const noEnd = await Promise.all(Array.from({ length: 8 }, () => scenario('grpc_sequence_no_end').run(ctx)));
    for (const o of noEnd) expect(clean(o)).toEqual({ wrong: undefined, unexpected: undefined });
    const started = Date.now();
    const o = await scenario('grpc_sequence_valid').run(ctx);
    expect(clean(o)).toEqual({ wrong: undefined, unexpected: undefined });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a huge ModelInfer with a 100 ms deadline ends in DEADLINE_EXCEEDED, then the server answers', async () => {
    const ctx = context(good);
    // 128 MiB here (CI's stress run sends Triton's 1 GiB): still far more than 100 ms of upload.
    const o = await deadlineScenario(ctx, { everyMs: 0, bytes: 128 * 2 ** 20 });
    expect(clean(o)).toEqual({ wrong: undefined, unexpected: undefined });
    expect(o.requests).toBe(3);
    expect(ctx.deadlineCalls).toHaveLength(1);
    expect(ctx.deadlineCalls[0]!.ms).toBeGreaterThanOrEqual(100);
    // The request was ready before the call: more than a flow-control window of it left before the deadline.
    expect(ctx.deadlineCalls[0]!.sent).toBeGreaterThan(2 ** 20);
    // Throttled: a checked ModelInfer instead.
    expect(clean(await deadlineScenario(ctx, { everyMs: 60_000 }))).toEqual({ wrong: undefined, unexpected: undefined });
    expect(ctx.deadlineCalls).toHaveLength(1);
  });
});

describe('gRPC stress scenarios report what is wrong', () => {
  it('wrong running sums on a stream are wrong results, at the first step', async () => {
    const ctx = context(wrong);
    for (const name of ['grpc_sequence_valid', 'grpc_sequence_valid_valid', 'grpc_sequence_no_end']) {
      const o = await scenario(name).run(ctx);
      const m = /^sequence (\d+) step 0 \(gRPC stream\): got (-?\d+), expected (-?\d+)$/.exec(o.wrong ?? '');
      expect(m, `${name}: ${JSON.stringify(o)}`).not.toBeNull();
      expect(Number(m![2])).toBe(Number(m![3]) + 1);
      expect(o.requests).toBe(1);
    }
  });

  it('without START: a wrong sum on the request after the error is reported too', async () => {
    const o = await scenario('grpc_sequence_no_start').run(context(wrong));
    expect(o.wrong).toMatch(/^sequence \d+ step 1 \(gRPC stream\): got \d+, expected \d+$/);
    expect(o.requests).toBe(2);
  });

  it('a deadline call that fails otherwise is an unexpected error; a wrong answer after it is a wrong result', async () => {
    const ctx = context(wrong);
    // The wrong server takes messages up to 1 MiB: a 4 MiB request with a long deadline is refused.
    const refused = await deadlineScenario(ctx, { everyMs: 0, bytes: 4 * 2 ** 20, timeoutMs: 10_000 });
    expect(refused.unexpected).toMatch(/^4 MiB ModelInfer with a 10000 ms deadline ended with RESOURCE_EXHAUSTED: .*--grpc-max-input-size/);
    const plain = await deadlineScenario(ctx, { everyMs: 60_000 });
    expect(plain.wrong).toMatch(/^add_sub_plain \(gRPC\) element 0: got /);
  });

  it('without START: a request that gets another error (or none) is an unexpected error', async () => {
    // Reload the wrong server's accumulate without sequence batching: START/STATE_IN become ordinary inputs.
    const dims = [1];
    const config = {
      max_batch_size: 4,
      input: ['INPUT', 'STATE_IN', 'START'].map((name) => ({ name, data_type: 'TYPE_INT32', dims })),
      output: ['OUTPUT', 'STATE_OUT'].map((name) => ({ name, data_type: 'TYPE_INT32', dims })),
    };
    const r = await fetch(`${wrong.url}/v2/repository/models/accumulate/load`, {
      method: 'POST',
      body: JSON.stringify({ parameters: { config: JSON.stringify(config) } }),
    });
    expect(r.status, await r.text()).toBe(200);
    const o = await scenario('grpc_sequence_no_start').run(context(wrong));
    expect(o.unexpected).toMatch(/^no-START request on a stream: error_message '.*expected 3 inputs/);
  });
});

function stress(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, 'stress', ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Rows of the report's scenario table: name → [runs, requests, wrong, unexpected]. */
function rows(report: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of report.matchAll(/^\| (\w+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|/gm)) out.set(m[1]!, m.slice(2, 6).map(Number));
  return out;
}

describe('nereid stress with the gRPC scenarios', () => {
  const STREAMS = ['grpc_sequence_valid', 'grpc_sequence_valid_valid', 'grpc_sequence_no_end', 'grpc_sequence_no_start'];

  it('its own servers serve gRPC: a short run of the stream scenarios passes and reports each', async () => {
    const file = join(tmpTree(), 'report.md');
    const r = await stress(['-d', '3', '-t', '4', '--scenario', STREAMS.join(','), '--report', file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const table = rows(readFileSync(file, 'utf8'));
    expect([...table.keys()]).toEqual(STREAMS);
    for (const [name, [runs, requests, wrongs, unexpected]] of table) {
      expect(runs, name).toBeGreaterThan(0);
      expect(requests, name).toBeGreaterThanOrEqual(runs!);
      expect([wrongs, unexpected], name).toEqual([0, 0]);
    }
  }, 60_000);

  it('-u without --grpc-url skips the gRPC scenarios and says so; with it they run against that server', async () => {
    const host = good.url.replace('http://', '');
    const without = await stress(['-d', '1', '-t', '2', '-u', host, '--scenario', 'plain_inference,grpc_sequence_valid']);
    expect(without.code, without.stdout + without.stderr).toBe(0);
    expect(without.stdout).toContain('gRPC scenarios skipped (no --grpc-url given with -u): grpc_sequence_valid');
    expect([...rows(without.stdout).keys()]).toEqual(['plain_inference']);
    const withGrpc = await stress(['-d', '1', '-t', '2', '-u', host, '--grpc-url', good.grpc!, '--scenario', 'grpc_sequence_valid']);
    expect(withGrpc.code, withGrpc.stdout + withGrpc.stderr).toBe(0);
    expect(withGrpc.stdout).not.toContain('skipped');
    expect(rows(withGrpc.stdout).get('grpc_sequence_valid')?.[0]).toBeGreaterThan(0);
    // Against the server whose accumulate sums wrong, the run fails.
    const bad = await stress(['-d', '1', '-t', '1', '-u', wrong.url.replace('http://', ''), '--grpc-url', wrong.grpc!, '--scenario', 'grpc_sequence_valid']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^(WRONG|UNEXPECTED) grpc_sequence_valid: sequence \d+ step 0 \(gRPC stream\)/m);
  }, 60_000);
});
