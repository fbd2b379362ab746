import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InferenceClient } from '../grpc-client.ts';
import { pollConfig } from './repository.ts';

/** What one scenario run produced. */
export interface Outcome {
  requests: number;
  /** A response that came back with the wrong values. */
  wrong?: string;
  /** An error the scenario did not expect. */
  unexpected?: string;
}

export interface StressContext {
  mainUrl(): string;
  pollUrl(): string | undefined;
  pollRepo?: string;
  rand(): number;
  nextId(): number;
  /** Per-scenario throttles (timestamps of the last run). */
  last: Map<string, number>;
  pollGeneration: { value: number };
  /** The gRPC client of the main server (of its current address); only gRPC scenarios call it. */
  grpc(): InferenceClient;
  /** The main server's gRPC address (HOST:PORT); only gRPC scenarios call it. */
  grpcAddress(): string;
  /** The main server's resident memory in bytes, when the driver started it. */
  mainRss(): number | undefined;
  /** What each 1 GB gRPC deadline call did, for the report. */
  deadlineCalls: DeadlineCall[];
}

export interface DeadlineCall {
  /** Milliseconds from the call to DEADLINE_EXCEEDED on the client. */
  ms: number;
  /** Bytes the client's connection sent during the call (how much of the request left before the deadline). */
  sent: number;
  /** Main server RSS (bytes) just before the call, its peak while the call ran, and once the server had answered the requests that followed. */
  rssBefore?: number;
  rssPeak?: number;
  rssAfter?: number;
}

export interface Scenario {
  name: string;
  weight: number;
  description: string;
  run(ctx: StressContext): Promise<Outcome>;
}

export const REQUEST_TIMEOUT_MS = 30_000;
export const SEQUENCE_BUDGET_MS = 25_000;

interface Reply {
  status: number;
  body: Record<string, unknown> & { error?: string; outputs?: { name: string; data: number[] }[] };
}

async function post(url: string, body: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'accept-encoding': 'identity' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: Reply['body'];
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { error: `not JSON: ${text.slice(0, 200)}` };
  }
  return { status: res.status, body: parsed };
}

export const ints = (ctx: StressContext, n: number, max: number): number[] => Array.from({ length: n }, () => Math.floor(ctx.rand() * max));
export const floats = (ctx: StressContext, n: number): number[] => Array.from({ length: n }, () => Math.round(ctx.rand() * 2000 - 1000) / 8);
const out = (r: Reply, name: string) => r.body.outputs?.find((o) => o.name === name)?.data;

export function gaussianLength(ctx: StressContext): number {
  const u = 1 - ctx.rand();
  const v = ctx.rand();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.max(1, Math.min(40, Math.round(16 + 8 * z)));
}

/** Sends one sequence to `accumulate` and checks the running sums. */
async function sequence(ctx: StressContext, id: number, length: number, end: boolean): Promise<Outcome> {
  const started = Date.now();
  let sum = 0;
  const values = ints(ctx, length, 1000);
  for (let i = 0; i < length; i++) {
    const r = await post(`${ctx.mainUrl()}/v2/models/accumulate/infer`, {
      parameters: { sequence_id: id, sequence_start: i === 0, sequence_end: end && i === length - 1 },
      inputs: [{ name: 'INPUT', shape: [1, 1], datatype: 'INT32', data: [values[i]] }],
    });
    if (r.status !== 200) return { requests: i + 1, unexpected: `sequence ${id} step ${i}: HTTP ${r.status} ${r.body.error}` };
    sum += values[i]!;
    const got = out(r, 'OUTPUT')?.[0];
    if (got !== sum) return { requests: i + 1, wrong: `sequence ${id} step ${i}: got ${got}, expected ${sum}` };
  }
  if (Date.now() - started > SEQUENCE_BUDGET_MS)
    return { requests: length, unexpected: `sequence ${id} took ${Date.now() - started} ms (> ${SEQUENCE_BUDGET_MS} ms)` };
  return { requests: length };
}

async function addSub(ctx: StressContext, model: string, rows: number): Promise<Outcome> {
  const a = floats(ctx, rows * 16);
  const b = floats(ctx, rows * 16);
  const r = await post(`${ctx.mainUrl()}/v2/models/${model}/infer`, {
    inputs: [
      { name: 'INPUT0', shape: [rows, 16], datatype: 'FP32', data: a },
      { name: 'INPUT1', shape: [rows, 16], datatype: 'FP32', data: b },
    ],
  });
  if (r.status !== 200) return { requests: 1, unexpected: `${model}: HTTP ${r.status} ${r.body.error}` };
  const sum = out(r, 'OUTPUT0');
  const diff = out(r, 'OUTPUT1');
  for (let i = 0; i < a.length; i++) {
    if (sum?.[i] !== Math.fround(a[i]! + b[i]!) || diff?.[i] !== Math.fround(a[i]! - b[i]!)) {
      return {
        requests: 1,
        wrong: `${model} element ${i}: got ${sum?.[i]}/${diff?.[i]}, expected ${Math.fround(a[i]! + b[i]!)}/${Math.fround(a[i]! - b[i]!)}`,
      };
    }
  }
  return { requests: 1 };
}

/** True at most once per `ms` across all clients (the scenario then does its heavy part; otherwise something plain). */
export function throttled(ctx: StressContext, name: string, ms: number): boolean {
  const now = Date.now();
  if (now - (ctx.last.get(name) ?? 0) < ms) return false;
  ctx.last.set(name, now);
  return true;
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'sequence_valid',
    weight: 25,
    description: 'a complete sequence (START … END) with running sums checked',
    run: (ctx) => sequence(ctx, ctx.nextId(), gaussianLength(ctx), true),
  },
  {
    name: 'sequence_valid_valid',
    weight: 6,
    description: 'two back-to-back sequences on one correlation id',
    async run(ctx) {
      const id = ctx.nextId();
      const first = await sequence(ctx, id, gaussianLength(ctx), true);
      if (first.wrong || first.unexpected) return first;
      const second = await sequence(ctx, id, gaussianLength(ctx), true);
      return { ...second, requests: first.requests + second.requests };
    },
  },
  {
    name: 'sequence_no_end',
    weight: 5,
    description: 'a sequence without END: its slot must be reclaimed after the idle timeout',
    run: (ctx) => sequence(ctx, ctx.nextId(), gaussianLength(ctx), false),
  },
  {
    name: 'sequence_no_start',
    weight: 3,
    description: 'a request without START for an unknown sequence gets the START-flag error',
    async run(ctx) {
      const id = ctx.nextId();
      const r = await post(`${ctx.mainUrl()}/v2/models/accumulate/infer`, {
        parameters: { sequence_id: id },
        inputs: [{ name: 'INPUT', shape: [1, 1], datatype: 'INT32', data: [1] }],
      });
      if (r.status === 400 && r.body.error?.includes('must specify the START flag')) return { requests: 1 };
      return { requests: 1, unexpected: `no-START request: HTTP ${r.status} ${r.body.error ?? 'succeeded'}` };
    },
  },
  {
    name: 'huge_tensor_deadline',
    weight: 1,
    description: 'a 256 MiB tensor with a 100 ms client deadline: the client gives up, the server stays healthy',
    async run(ctx) {
      if (!throttled(ctx, 'huge', 10_000)) return addSub(ctx, 'add_sub_plain', 1);
      const total = 256 * 1024 * 1024;
      const head = new TextEncoder().encode(
        JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [total / 4], datatype: 'FP32', parameters: { binary_data_size: total } }] }),
      );
      const chunk = new Uint8Array(1 << 20);
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent === 0) c.enqueue(head);
          if (sent >= total) return c.close();
          c.enqueue(chunk);
          sent += chunk.byteLength;
        },
      });
      try {
        await fetch(`${ctx.mainUrl()}/v2/models/identity/infer`, {
          method: 'POST',
          body,
          headers: { 'inference-header-content-length': String(head.byteLength) },
          signal: AbortSignal.timeout(100),
          duplex: 'half',
        } as RequestInit);
        return { requests: 1, unexpected: 'the 256 MiB request finished within 100 ms' };
      } catch (e) {
        if ((e as Error).name !== 'TimeoutError' && (e as Error).name !== 'AbortError')
          return { requests: 1, unexpected: `huge tensor: ${(e as Error).message}` };
      }
      const live = await fetch(`${ctx.mainUrl()}/v2/health/live`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      return live.status === 200 ? { requests: 2 } : { requests: 2, unexpected: `server not live after the huge tensor: ${live.status}` };
    },
  },
  {
    name: 'disconnect_mid_upload',
    weight: 3,
    description: 'a client that disconnects halfway through sending its request',
    async run(ctx) {
      const half = new TextEncoder().encode('{"inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"FP32","data":[1,2,3');
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(half);
        },
      });
      try {
        await fetch(`${ctx.mainUrl()}/v2/models/add_sub_plain/infer`, {
          method: 'POST',
          body,
          signal: AbortSignal.timeout(150),
          duplex: 'half',
        } as RequestInit);
        return { requests: 1, unexpected: 'a half-sent request got a response' };
      } catch {
        return { requests: 1 };
      }
    },
  },
  {
    name: 'disconnect_mid_response',
    weight: 3,
    description: 'a client that gives up while the model is still computing its response',
    async run(ctx) {
      try {
        await post(`${ctx.mainUrl()}/v2/models/slow_js/infer`, { inputs: [{ name: 'INPUT0', shape: [1], datatype: 'INT32', data: [1] }] }, 100);
        return { requests: 1, unexpected: 'the slow model answered within 100 ms' };
      } catch {
        return { requests: 1 };
      }
    },
  },
  {
    name: 'plain_inference',
    weight: 22,
    description: 'single requests to a model without batching, outputs checked',
    run: (ctx) => addSub(ctx, 'add_sub_plain', 1),
  },
  {
    name: 'batched_inference',
    weight: 15,
    description: 'bursts of requests (1–4 rows each) through the dynamic batcher, outputs checked',
    async run(ctx) {
      const results = await Promise.all(Array.from({ length: 4 }, () => addSub(ctx, 'add_sub', 1 + Math.floor(ctx.rand() * 4))));
      return { requests: results.length, wrong: results.find((r) => r.wrong)?.wrong, unexpected: results.find((r) => r.unexpected)?.unexpected };
    },
  },
  {
    name: 'load_unload',
    weight: 4,
    description: 'EXPLICIT load/unload of a model while requests to it continue',
    async run(ctx) {
      const action = ctx.rand() < 0.5 ? 'load' : 'unload';
      const r = await post(`${ctx.mainUrl()}/v2/repository/models/churn/${action}`, {});
      if (r.status !== 200) return { requests: 1, unexpected: `${action} churn: HTTP ${r.status} ${r.body.error}` };
      const x = floats(ctx, 16);
      const inf = await post(`${ctx.mainUrl()}/v2/models/churn/infer`, {
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: x },
          { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: x },
        ],
      });
      if (inf.status === 200) {
        const got = out(inf, 'OUTPUT0');
        return got?.every((v, i) => v === Math.fround(2 * x[i]!)) ? { requests: 2 } : { requests: 2, wrong: 'churn returned wrong sums' };
      }
      const expected = [404, 503].includes(inf.status) && /has no available versions|is not at ready state|is not found/.test(inf.body.error ?? '');
      return expected ? { requests: 2 } : { requests: 2, unexpected: `churn inference: HTTP ${inf.status} ${inf.body.error}` };
    },
  },
  {
    name: 'poll_reload',
    weight: 13,
    description: 'POLL reloads of a changed config while requests flow: none may fail',
    async run(ctx) {
      const url = ctx.pollUrl();
      if (!url || !ctx.pollRepo) return addSub(ctx, 'add_sub_plain', 1);
      if (throttled(ctx, 'poll-edit', 1500)) writeFileSync(join(ctx.pollRepo, 'reloaded', 'config.pbtxt'), pollConfig(++ctx.pollGeneration.value));
      const x = floats(ctx, 16);
      const r = await post(`${url}/v2/models/reloaded/infer`, {
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: x },
          { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: x },
        ],
      });
      if (r.status !== 200) return { requests: 1, unexpected: `during POLL reloads: HTTP ${r.status} ${r.body.error}` };
      return out(r, 'OUTPUT1')?.every((v) => v === 0) ? { requests: 1 } : { requests: 1, wrong: 'reloaded model returned wrong differences' };
    },
  },
];
