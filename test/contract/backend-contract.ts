/**
 * What every execution backend must do, written once and run against each (a fake, onnxruntime-node
 * on the JavaScript thread and in its own thread, onnxruntime-web under Node and in Chromium, the
 * JavaScript backend). The steps go through a BackendHarness (backend-harness.ts), so they can run
 * where the backend lives (this process, a browser worker); the expected values are computed here.
 * What a backend cannot do is declared in its features and shows up as a skipped case naming the
 * reason, never left out silently.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/tools/onnx/models.ts';
import { tmpTree } from '../helpers/tmp.ts';
import {
  type BackendHarness,
  type ContractModel,
  type ExecuteReply,
  MAX_BATCH,
  type OpenOptions,
  type PlainError,
  type PlainRequest,
  type PlainResult,
  type PlainTensor,
  WIDTH,
} from './backend-harness.ts';

/**
 * A feature the backend does not have, with the reason, and a case that shows it is missing: it
 * runs in place of the feature's case, and fails once the backend gains the feature, so the
 * declaration cannot outlive the fact.
 */
export interface Unsupported {
  unsupported: string;
  confirm(h: BackendHarness): Promise<void>;
}

/** A request this backend refuses on its own, and the error it must get while its neighbours succeed. */
export interface BadInput {
  model: ContractModel;
  /** Inputs of one row (shape [1, WIDTH]) that the backend refuses. */
  inputs: Record<string, PlainTensor>;
  error: { code: string; message: string | RegExp };
}

export interface BackendFeatures {
  /** Fills a bare config's inputs, outputs and batching from the model. */
  autoComplete: true | Unsupported;
  /** BYTES (string) tensors in and out. */
  bytes: true | Unsupported;
  badInput: BadInput | Unsupported;
  /**
   * Session creations started at once: `serial` where the runtime cannot initialise twice at
   * once (onnxruntime-web), checked on the creations the subject counts; `concurrent` where the
   * runtime allows them to overlap.
   */
  creation: 'serial' | 'concurrent';
  /**
   * A NODE_SUBJECTS name for the fresh-process check (backend-exit.ts); `null` where the backend
   * runs in no process of its own to exit (a page: the test closes the page and the browser).
   */
  processExit: string | null;
  /** Where its instances say they run (BackendInstance.device). */
  device: string;
}

const isUnsupported = (f: unknown): f is Unsupported => typeof f === 'object' && f !== null && 'unsupported' in f;

/** `it`, or, when the feature is declared unsupported, the case that shows it is missing. */
function itWith<T>(h: () => BackendHarness, feature: T | Unsupported, title: string, fn: (f: T) => Promise<void>, timeout?: number): void {
  if (isUnsupported(feature)) it(`${title}: declared unsupported, and it is (${feature.unsupported})`, () => feature.confirm(h()));
  else it(title, () => fn(feature), timeout);
}

// ---- inputs and the outputs they must give, computed here -------------------------------------

/** Multiples of 1/8 below 128 in magnitude: exact in FP32, and so are their sums and differences. */
function floats(seed: number, n: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => Math.round(r() * 2000 - 1000) / 8);
}

function ints(seed: number, n: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => Math.round(r() * 2000 - 1000));
}

const utf8 = (s: string) => Array.from(new TextEncoder().encode(s));

export interface Case {
  request: PlainRequest;
  expected: PlainResult;
}

/** A request of `rows` rows for `model` and the result it must get. */
export function contractCase(model: ContractModel, seed: number, rows = 1, outputs = ['OUTPUT0', 'OUTPUT1']): Case {
  const n = rows * WIDTH;
  const shape = [rows, WIDTH];
  if (model === 'addsub') {
    const a = floats(seed, n);
    const b = floats(seed + 1000, n);
    const out: Record<string, PlainTensor> = {
      OUTPUT0: { datatype: 'FP32', shape, data: a.map((x, i) => x + b[i]!) },
      OUTPUT1: { datatype: 'FP32', shape, data: a.map((x, i) => x - b[i]!) },
    };
    return {
      request: { inputs: { INPUT0: { datatype: 'FP32', shape, data: a }, INPUT1: { datatype: 'FP32', shape, data: b } }, outputs },
      expected: { outputs: Object.fromEntries(outputs.map((o) => [o, out[o]!])) },
    };
  }
  const a = ints(seed, n);
  const b = ints(seed + 1000, n);
  const bytes = (xs: number[]) => xs.map((x) => utf8(String(x)));
  const out: Record<string, PlainTensor> = {
    OUTPUT0: { datatype: 'BYTES', shape, data: bytes(a.map((x, i) => x + b[i]!)) },
    OUTPUT1: { datatype: 'BYTES', shape, data: bytes(a.map((x, i) => x - b[i]!)) },
  };
  return {
    request: { inputs: { INPUT0: { datatype: 'BYTES', shape, data: bytes(a) }, INPUT1: { datatype: 'BYTES', shape, data: bytes(b) } }, outputs },
    expected: { outputs: Object.fromEntries(outputs.map((o) => [o, out[o]!])) },
  };
}

function results(reply: ExecuteReply): PlainResult[] {
  if ('rejected' in reply) throw new Error(`execute rejected the whole call: ${reply.rejected.code ?? ''} ${reply.rejected.message}`);
  return reply.results;
}

/** The error of a call that must fail: its rejection, or the error every request got. */
function failure(reply: ExecuteReply): PlainError {
  if ('rejected' in reply) return reply.rejected;
  const errors = reply.results.map((r) => ('error' in r ? r.error : undefined));
  if (errors.length === 0 || errors.some((e) => e === undefined)) throw new Error(`expected the call to fail, got ${JSON.stringify(reply.results)}`);
  return errors[0]!;
}

// ---- the contract ----------------------------------------------------------------------------

/**
 * Registers the contract for one backend. `setup` gives the harness (called once, in beforeAll);
 * `features` declares what the backend does not do.
 */
export function backendContract(name: string, setup: () => Promise<BackendHarness>, features: BackendFeatures): void {
  describe(`execution backend contract: ${name}`, () => {
    let h: BackendHarness;
    const opened: number[] = [];
    beforeAll(async () => {
      h = await setup();
    });
    afterAll(() => h?.close());
    afterEach(async () => {
      for (const id of opened.splice(0)) await h.dispose(id);
    });
    const open = async (model: ContractModel, options?: OpenOptions) => {
      const { ids, devices } = await h.open(model, options);
      opened.push(...ids);
      return { ids, devices };
    };
    const run = async (id: number, cases: Case[]) =>
      results(
        await h.execute(
          id,
          cases.map((c) => c.request),
        ),
      );

    itWith(
      () => h,
      features.autoComplete,
      'auto-complete reads the inputs and outputs from the model: names, datatypes, dims, batching',
      async () => {
        const models: ContractModel[] = isUnsupported(features.bytes) ? ['addsub'] : ['addsub', 'strings'];
        for (const model of models) {
          const datatype = model === 'addsub' ? 'FP32' : 'BYTES';
          const io = await h.autoComplete(model);
          const t = (name: string) => ({ name, datatype, dims: [WIDTH] });
          expect(io.inputs, model).toEqual([t('INPUT0'), t('INPUT1')]);
          expect(io.outputs, model).toEqual([t('OUTPUT0'), t('OUTPUT1')]);
          expect(io.maxBatchSize, model).toBeGreaterThanOrEqual(2);
          // The completed config serves.
          const { ids } = await open(model, { autoComplete: true });
          const c = contractCase(model, 7, 2);
          expect(await run(ids[0]!, [c]), model).toEqual([c.expected]);
        }
      },
    );

    it('one request: every output computed from its own inputs', async () => {
      const { ids, devices } = await open('addsub');
      expect(devices).toEqual([features.device]);
      for (const [seed, rows] of [
        [1, 1],
        [2, 3],
        [3, MAX_BATCH],
      ] as const) {
        const c = contractCase('addsub', seed, rows);
        expect(await run(ids[0]!, [c]), `${rows} row(s)`).toEqual([c.expected]);
      }
      const only = contractCase('addsub', 4, 1, ['OUTPUT1']);
      expect(await run(ids[0]!, [only]), 'OUTPUT1 alone').toEqual([only.expected]);
    });

    it('a batch of N requests in one execute call: each gets its own result, in order', async () => {
      const { ids } = await open('addsub');
      const rows = [1, 2, 1, 3, 1];
      const cases = rows.map((r, i) => contractCase('addsub', 100 + i, r));
      expect(await run(ids[0]!, cases)).toEqual(cases.map((c) => c.expected));
      const single = Array.from({ length: MAX_BATCH }, (_, i) => contractCase('addsub', 200 + i, 1, ['OUTPUT0']));
      expect(await run(ids[0]!, single), `${MAX_BATCH} requests of one row`).toEqual(single.map((c) => c.expected));
    });

    itWith(
      () => h,
      features.bytes,
      'BYTES tensors in and out, alone and batched',
      async () => {
        const { ids } = await open('strings');
        const one = contractCase('strings', 11, 1);
        expect(await run(ids[0]!, [one])).toEqual([one.expected]);
        const cases = [2, 1, 3].map((r, i) => contractCase('strings', 20 + i, r));
        expect(await run(ids[0]!, cases)).toEqual(cases.map((c) => c.expected));
      },
    );

    itWith(
      () => h,
      features.badInput,
      'a bad request fails alone: the others in the same execute call get their results',
      async (bad) => {
        const { ids } = await open(bad.model);
        const good = [contractCase(bad.model, 31), contractCase(bad.model, 32, 2), contractCase(bad.model, 33)];
        const badRequest: PlainRequest = { inputs: bad.inputs, outputs: ['OUTPUT0', 'OUTPUT1'] };
        const reply = results(await h.execute(ids[0]!, [good[0]!.request, badRequest, good[1]!.request, badRequest, good[2]!.request]));
        expect(reply).toHaveLength(5);
        expect([reply[0], reply[2], reply[4]]).toEqual(good.map((c) => c.expected));
        for (const r of [reply[1]!, reply[3]!]) {
          expect('error' in r, JSON.stringify(r)).toBe(true);
          const e = (r as { error: PlainError }).error;
          expect(e.code).toBe(bad.error.code);
          expect(e.message).toMatch(bad.error.message);
        }
        // Alone it fails the same way, and the instance keeps serving.
        const alone = results(await h.execute(ids[0]!, [badRequest]));
        expect(alone).toEqual([{ error: expect.objectContaining({ code: bad.error.code }) }]);
        const after = contractCase(bad.model, 34);
        expect(await run(ids[0]!, [after])).toEqual([after.expected]);
      },
    );

    it('dispose: a later execute fails cleanly, a second dispose is harmless, other instances keep working', async () => {
      const { ids } = await open('addsub', { instances: 2 });
      const [a, b] = ids as [number, number];
      const c1 = contractCase('addsub', 41);
      for (const id of ids) expect(await run(id, [c1])).toEqual([c1.expected]);
      expect(await h.dispose(a)).toEqual({ ok: true });
      // A new instance after the disposal may reuse what the disposed one released.
      const { ids: later } = await open('addsub');
      const c = later[0]!;
      const err = failure(await h.execute(a, [c1.request]));
      expect(err.code, err.message).toBe('UNAVAILABLE');
      expect(await h.dispose(a)).toEqual({ ok: true });
      const c2 = contractCase('addsub', 42, 2);
      expect(await run(b, [c2]), 'the other instance of the version').toEqual([c2.expected]);
      expect(await run(c, [c2]), 'the instance created after the disposal').toEqual([c2.expected]);
    });

    it(`concurrent session creation: instances created at once all work${features.creation === 'serial' ? ', their sessions created one at a time' : ''}`, async () => {
      const before = await h.creations();
      const models: ContractModel[] = ['addsub', isUnsupported(features.bytes) ? 'addsub' : 'strings', 'addsub'];
      const groups = await Promise.all(models.map((m) => open(m, { instances: 2 })));
      for (const [g, { ids }] of groups.entries()) {
        for (const [k, id] of ids.entries()) {
          const c = contractCase(models[g]!, 50 + 10 * g + k, 1 + k);
          expect(await run(id, [c]), `${models[g]} instance ${k}`).toEqual([c.expected]);
        }
      }
      if (features.creation === 'serial') {
        const after = await h.creations();
        expect(after, 'the subject counts session creations').toBeDefined();
        expect(after!.count - (before?.count ?? 0)).toBeGreaterThanOrEqual(6);
        expect(after!.maxInFlight, 'session creations in progress at one time').toBe(1);
      }
    });

    const exitSubject = features.processExit;
    if (exitSubject !== null)
      it('a process that used it exits by itself once everything is disposed, with no thread left behind', async () => {
        const subject = exitSubject;
        const r = await runExitCheck(subject);
        const why = r.signal === 'SIGKILL' ? `still running ${EXIT_LIMIT_MS / 1000} s after it started (killed); it printed: ${r.stdout}` : r.stdout;
        expect({ code: r.code, signal: r.signal, stderr: r.stderr }, why).toEqual({ code: 0, signal: null, stderr: '' });
        const out = JSON.parse(r.stdout) as {
          replies: ExecuteReply[];
          afterDispose: ExecuteReply;
          threads: { before?: number; loaded?: number; after?: number };
        };
        const expected = exitCheckResult();
        expect(out.replies.map(results)).toEqual([[expected], [expected]]);
        expect(failure(out.afterDispose).code).toBe('UNAVAILABLE');
        if (process.platform === 'linux') {
          expect(out.threads.after, JSON.stringify(out.threads)).toBeLessThanOrEqual(out.threads.before!);
        }
      }, 60_000);
  });
}

/** What the request of backend-exit.ts (INPUT0[i] = i / 4, INPUT1[i] = 3 - i) must give. */
function exitCheckResult(): PlainResult {
  const a = Array.from({ length: WIDTH }, (_, i) => i / 4);
  const b = Array.from({ length: WIDTH }, (_, i) => 3 - i);
  const shape = [1, WIDTH];
  return {
    outputs: {
      OUTPUT0: { datatype: 'FP32', shape, data: a.map((x, i) => x + b[i]!) },
      OUTPUT1: { datatype: 'FP32', shape, data: a.map((x, i) => x - b[i]!) },
    },
  };
}

/** How long backend-exit.ts may take, start to exit (it takes seconds; onnxruntime-web's exit waits for V8's background WASM compilation). */
const EXIT_LIMIT_MS = 45_000;

/** Runs backend-exit.ts for a subject in a fresh Node process (tsx; its cache in a temp dir of this test file). */
function runExitCheck(subject: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const tmp = tmpTree({}, 'nereid-exit-check-');
  const env = { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp };
  const child = spawn(process.execPath, ['--import', 'tsx', resolve('test/contract/backend-exit.ts'), subject], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_LIMIT_MS);
  return new Promise((done) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    }),
  );
}
