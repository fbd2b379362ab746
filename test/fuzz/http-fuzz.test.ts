import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel, mulberry32, stringAddSubModel } from '../../src/tools/onnx/models.ts';
import { bytesElements } from '../helpers/kserve.ts';
import { post, startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * Seeded, bounded fuzzing of the HTTP API: every hostile or malformed request gets a 4xx with a
 * clear `{"error": ...}` (never a 5xx), the server stays live, and memory stays bounded.
 */
const SEED = Number(process.env.NEREID_FUZZ_SEED ?? 20261122);
const ROUNDS = Number(process.env.NEREID_FUZZ_ROUNDS ?? 1500);
const MAX_INPUT = 1 << 20;

const IO = (t: string) => `input [ { name: "INPUT0" data_type: ${t} dims: [ 16 ] }, { name: "INPUT1" data_type: ${t} dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: ${t} dims: [ 16 ] }, { name: "OUTPUT1" data_type: ${t} dims: [ 16 ] } ]
`;

let t: TestServer;
beforeAll(async () => {
  const repo = tmpTree({
    'add_sub/config.pbtxt': `max_batch_size: 8\n${IO('TYPE_FP32')}dynamic_batching { }\n`,
    'add_sub/1/model.onnx': addSubModel(),
    'strings/config.pbtxt': `max_batch_size: 8\n${IO('TYPE_STRING')}`,
    'strings/1/model.onnx': stringAddSubModel(),
    'echo/config.pbtxt':
      'backend: "js"\nmax_batch_size: 8\ninput { name: "INPUT0" data_type: TYPE_STRING dims: [ -1 ] }\noutput { name: "OUTPUT0" data_type: TYPE_STRING dims: [ -1 ] }\n',
    'echo/1/model.js': 'export function execute(rs) { return rs.map((r) => ({ outputs: { OUTPUT0: r.inputs.INPUT0 } })); }',
  });
  t = await startServer({ repositories: [repo] }, { maxInputSize: MAX_INPUT });
});
afterAll(() => t.stop());

const rand = mulberry32(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const enc = new TextEncoder();

const WEIRD: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0,
  1e308,
  -1e308,
  2 ** 53 + 1,
  '',
  'x',
  '\u0000',
  '💥',
  [],
  {},
  [[[]]],
  { a: 1 },
  [1, 'a', null],
  'FP32',
  'BYTES',
  '../etc/passwd',
  '%2F..%2F',
];
const DTYPES = [
  'BOOL',
  'UINT8',
  'INT8',
  'INT16',
  'UINT16',
  'INT32',
  'UINT32',
  'INT64',
  'UINT64',
  'FP16',
  'BF16',
  'FP32',
  'FP64',
  'BYTES',
  'STRING',
  'fp32',
  '',
];

function validRequest(): Record<string, unknown> {
  const x = Array.from({ length: 16 }, () => rand() * 10);
  return {
    id: 'f',
    inputs: [
      { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: x },
      { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: x },
    ],
    outputs: [{ name: 'OUTPUT0' }],
  };
}

function mutate(value: unknown, depth = 0): unknown {
  if (depth > 4 || rand() < 0.15) return pick(WEIRD);
  if (Array.isArray(value)) {
    const out = value.map((v) => (rand() < 0.3 ? mutate(v, depth + 1) : v));
    if (rand() < 0.1) out.push(mutate(pick(value.length > 0 ? value : WEIRD), depth + 1));
    if (rand() < 0.1) out.splice(int(out.length + 1), 1);
    return out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const k of Object.keys(out)) {
      if (rand() < 0.25) out[k] = mutate(out[k], depth + 1);
      else if (rand() < 0.05) delete out[k];
    }
    if (rand() < 0.1)
      out[pick(['parameters', 'binary_data_size', 'shared_memory_region', 'classification', 'triton_x', 'sequence_id', 'priority', 'timeout', 'data'])] =
        pick(WEIRD);
    return out;
  }
  return rand() < 0.5 ? pick(WEIRD) : value;
}

/** Builds one hostile request: path, body and headers. */
function hostile(): { path: string; init: RequestInit; kind: string } {
  const model = pick(['add_sub', 'strings', 'echo', 'add_sub/versions/1', 'nope', 'add_sub/versions/99']);
  const path = `/v2/models/${model}/infer`;
  switch (int(10)) {
    case 0: {
      const bytes = new Uint8Array(int(300)).map(() => int(256));
      return { path, init: { method: 'POST', body: bytes }, kind: 'random bytes' };
    }
    case 1: {
      const text = JSON.stringify(validRequest());
      return { path, init: post(text.slice(0, int(text.length))), kind: 'truncated JSON' };
    }
    case 2: {
      const depth = 50 + int(2000);
      return {
        path,
        init: post(`{"inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"FP32","data":${'['.repeat(depth)}1${']'.repeat(depth)}}]}`),
        kind: 'deeply nested data',
      };
    }
    case 3: {
      const dims = Array.from({ length: 1 + int(4) }, () => pick([0, 1, 16, -1, 2 ** 31, 2 ** 53, 1e300, 3.5, 2 ** 62]));
      const r = validRequest();
      (r.inputs as Record<string, unknown>[])[0]!.shape = dims;
      return { path, init: post(r), kind: 'hostile shape' };
    }
    case 4: {
      const r = validRequest();
      const head = enc.encode(
        JSON.stringify({
          inputs: (r.inputs as Record<string, unknown>[]).map((i) => ({
            name: i.name,
            shape: i.shape,
            datatype: pick(DTYPES),
            parameters: { binary_data_size: pick([0, 1, 63, 64, 65, 128, -5, 2 ** 40]) },
          })),
        }),
      );
      const tail = new Uint8Array(int(200));
      const body = new Uint8Array(head.length + tail.length);
      body.set(head);
      body.set(tail, head.length);
      const hl = pick([String(head.length), String(head.length + int(10) - 5), '-1', 'abc', '0', String(body.length + 1), '1e3', ' 12 ']);
      return { path, init: { method: 'POST', body, headers: { 'inference-header-content-length': hl } }, kind: 'binary sections' };
    }
    case 5: {
      const bad = new Uint8Array([0x22, 0xff, 0xfe, 0x22]);
      const head = enc.encode('{"inputs":[{"name":');
      const rest = enc.encode(',"shape":[1,16],"datatype":"FP32","data":[1]}]}');
      const body = new Uint8Array([...head, ...bad, ...rest]);
      return { path, init: { method: 'POST', body }, kind: 'invalid UTF-8 in a name' };
    }
    case 6: {
      const elems = Array.from({ length: 16 }, () => new Uint8Array(int(6)).map(() => 0x80 + int(0x40)));
      const tensor = bytesElements(elems);
      const len = tensor.length;
      const name = pick(['strings', 'echo']);
      const shape = name === 'echo' ? [1, 16] : [1, 16];
      const head = enc.encode(
        JSON.stringify({
          inputs: [
            { name: 'INPUT0', shape, datatype: 'BYTES', parameters: { binary_data_size: len } },
            ...(name === 'strings' ? [{ name: 'INPUT1', shape, datatype: 'BYTES', data: Array.from({ length: 16 }, () => '1') }] : []),
          ],
        }),
      );
      const body = new Uint8Array(head.length + len);
      body.set(head);
      body.set(tensor, head.length);
      return {
        path: `/v2/models/${name}/infer`,
        init: { method: 'POST', body, headers: { 'inference-header-content-length': String(head.length) } },
        kind: 'invalid UTF-8 in BYTES',
      };
    }
    case 7: {
      const n = 1000 + int(20000);
      return {
        path,
        init: post({ inputs: Array.from({ length: n }, (_, i) => ({ name: `IN${i}`, shape: [1], datatype: 'FP32', data: [1] })) }),
        kind: 'enormous number of inputs',
      };
    }
    case 8: {
      const r = validRequest();
      r.parameters = Object.fromEntries(
        Array.from({ length: int(50) }, (_, i) => [
          `${pick(['x', 'triton_', 'sequence_', 'priority', 'binary_data_output', 'timeout', 'headers'])}${i}`,
          pick(WEIRD),
        ]),
      );
      return { path, init: post(r), kind: 'unknown parameters' };
    }
    default:
      return { path, init: post(mutate(validRequest())), kind: 'mutated JSON' };
  }
}

// A real collection before each heap reading, so that what is measured is what stays alive, not
// garbage the collector has not come to yet (Node 24 lets more of it pile up than Node 20 did).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('HTTP fuzzing (seeded, bounded)', () => {
  it(`${ROUNDS} hostile requests: only 2xx/4xx with clear errors; the server stays live and bounded`, async () => {
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const counts = new Map<string, number>();
    for (let i = 0; i < ROUNDS; i++) {
      const { path, init, kind } = hostile();
      const res = await t.request(path, init);
      const text = await res.text();
      const where = `round ${i} (${kind}) → ${res.status}: ${text.slice(0, 300)}`;
      expect(res.status < 500, where).toBe(true);
      if (res.status !== 200) {
        const body = JSON.parse(text) as { error?: unknown };
        expect(typeof body.error, where).toBe('string');
        expect((body.error as string).length, where).toBeGreaterThan(5);
      }
      counts.set(`${kind}:${res.status}`, (counts.get(`${kind}:${res.status}`) ?? 0) + 1);
    }
    expect((await t.request('/v2/health/ready')).status).toBe(200);
    const x = Array.from({ length: 16 }, (_, i) => i);
    const ok = await t.request(
      '/v2/models/add_sub/infer',
      post({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: x },
          { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: x },
        ],
      }),
    );
    expect((await ok.json()).outputs[0].data).toEqual(x.map((v) => 2 * v));
    gc();
    const grown = process.memoryUsage().heapUsed - heapBefore;
    expect(grown, `heap grew by ${(grown / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(32 * 1024 * 1024);
    // Every strategy ran and was refused with a 4xx at least once.
    const kinds = new Set([...counts.keys()].filter((k) => /:4\d\d$/.test(k)).map((k) => k.split(':')[0]));
    expect(kinds.size).toBeGreaterThanOrEqual(9);
  }, 120_000);

  it('a body over --http-max-input-size is refused whatever it contains', async () => {
    const res = await t.request('/v2/models/add_sub/infer', {
      method: 'POST',
      body: new Uint8Array(MAX_INPUT + 1),
      headers: { 'content-length': String(MAX_INPUT + 1) },
    });
    expect(res.status).toBe(400);
  });
});
