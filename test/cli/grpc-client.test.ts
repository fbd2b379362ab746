import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callStatus, grpcInferenceClient, unreachableReason } from '../../src/cli/grpc-client.ts';
import { float32Bytes, rawOutput, sequenceRequest } from '../../src/cli/stress/grpc-tensors.ts';
import { type CliServer, startCli } from '../helpers/cli.ts';

/**
 * The command-line tools' gRPC client (grpc-js) against a real server: unary calls, errors with
 * their status, deadlines, AbortSignal, a bidi stream, close(), and a port
 * where nothing listens.
 */

let srv: CliServer;
const clients: { close(): void }[] = [];
const connect = () => {
  const c = grpcInferenceClient(srv.grpc!);
  clients.push(c);
  return c.client;
};

beforeAll(async () => {
  srv = await startCli(['--model-repository', 'examples/models', '--model-control-mode', 'explicit', '--load-model', 'add_sub', '--load-model', 'accumulate']);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await srv?.stop();
});

const a = Array.from({ length: 16 }, (_, i) => i * 0.5 - 3);
const b = Array.from({ length: 16 }, (_, i) => 7 - i * 0.25);
const addSub = {
  modelName: 'add_sub',
  inputs: [
    { name: 'INPUT0', datatype: 'FP32', shape: [1n, 16n] },
    { name: 'INPUT1', datatype: 'FP32', shape: [1n, 16n] },
  ],
  rawInputContents: [float32Bytes(a), float32Bytes(b)],
};

describe('grpcInferenceClient', () => {
  it('unary calls answer with decoded messages', async () => {
    const client = connect();
    expect((await client.serverLive({})).live).toBe(true);
    const meta = await client.modelMetadata({ name: 'add_sub' });
    expect(meta.inputs.map((t) => [t.name, t.datatype, t.shape.map(Number)])).toEqual([
      ['INPUT0', 'FP32', [-1, 16]],
      ['INPUT1', 'FP32', [-1, 16]],
    ]);
    const res = await client.modelInfer(addSub, { timeoutMs: 10_000 });
    expect(rawOutput(res, 'OUTPUT0', 'FP32')).toEqual(a.map((x, i) => Math.fround(x + b[i]!)));
    expect(rawOutput(res, 'OUTPUT1', 'FP32')).toEqual(a.map((x, i) => Math.fround(x - b[i]!)));
  });

  it('a failed call rejects with its gRPC status code and details', async () => {
    const err = await connect()
      .modelMetadata({ name: 'nope' })
      .catch((e: unknown) => e);
    expect(callStatus(err)).toEqual({ code: 5, name: 'NOT_FOUND', details: "Request for unknown model: 'nope' is not found" });
    expect(unreachableReason(err)).toBeUndefined();
  });

  it('a deadline ends the call with DEADLINE_EXCEEDED; an AbortSignal cancels it', async () => {
    const client = connect();
    const late = await client.modelInfer(addSub, { timeoutMs: 0 }).catch((e: unknown) => e);
    expect(callStatus(late).name).toBe('DEADLINE_EXCEEDED');
    const aborted = await client.serverLive({}, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(callStatus(aborted).name).toBe('CANCELLED');
    const ctl = new AbortController();
    const call = client.modelInfer(addSub, { signal: ctl.signal });
    ctl.abort();
    expect(callStatus(await call.catch((e: unknown) => e)).name).toBe('CANCELLED');
    // The client is still usable.
    expect((await client.serverLive({})).live).toBe(true);
  });

  it('a bidi stream answers in order and ends after the client half-closes; close() cancels a stream still open', async () => {
    const c = grpcInferenceClient(srv.grpc!);
    const stream = c.client.modelStreamInfer();
    const it = stream[Symbol.asyncIterator]();
    const id = 77_001;
    let sum = 0;
    for (const [step, value] of [5, -2, 40].entries()) {
      await stream.write(sequenceRequest(id, step, value, step === 0, step === 2));
      sum += value;
      const r = await it.next();
      expect(r.done).toBe(false);
      expect(r.value!.errorMessage).toBe('');
      expect(rawOutput(r.value!.inferResponse!, 'OUTPUT', 'INT32')).toEqual([sum]);
    }
    stream.end();
    expect((await it.next()).done).toBe(true);
    const open = c.client.modelStreamInfer()[Symbol.asyncIterator]();
    const pending = open.next().catch((e: unknown) => e);
    c.close();
    expect(callStatus(await pending).name).toBe('CANCELLED');
  });

  it('a port where nothing listens: UNAVAILABLE, and the reason is the socket error', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const c = grpcInferenceClient(`127.0.0.1:${port}`);
    clients.push(c);
    const err = await c.client.serverLive({}, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(callStatus(err).name).toBe('UNAVAILABLE');
    expect(unreachableReason(err)).toBe('ECONNREFUSED');
  });
});
