import type { ModelInfo } from './model-info.ts';
import type { PreparedRequest } from './inputs.ts';

export interface Sample {
  /** Milliseconds from starting the request to having validated the response. */
  latency: number;
  /** Building the request (ms). */
  send: number;
  /** Reading and decoding the response after its headers arrived (ms). */
  recv: number;
  outcome: 'ok' | 'error' | 'invalid';
  detail?: string;
}

/** How inference requests travel: `fetch` by default; a platform may pass a leaner one. */
export type Transport = (
  url: string,
  body: Uint8Array,
  headers: Record<string, string>,
) => Promise<{ status: number; headerLength: string | null; body: Uint8Array }>;

/**
 * One line for a request that reached no server: `fetch` puts the socket error in `cause`
 * (ECONNREFUSED, ENOTFOUND, ...), e.g. "cannot connect to localhost:8000 (ECONNREFUSED): is the
 * server running?".
 */
export function connectFailure(url: string, e: unknown): string {
  const codeOf = (x: unknown) => {
    const code = (x as { code?: unknown } | null)?.code;
    return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
  };
  const cause = (e as { cause?: unknown } | null)?.cause;
  const why = codeOf(cause) ?? codeOf(e) ?? ((cause as Error | undefined)?.message || (e as Error).message);
  return `cannot connect to ${new URL(url).host} (${why}): is the server running?`;
}

export const fetchTransport: Transport = async (url, body, headers) => {
  const res = await fetch(url, { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers });
  return { status: res.status, headerLength: res.headers.get('inference-header-content-length'), body: new Uint8Array(await res.arrayBuffer()) };
};

export interface SequenceFlags {
  id: number;
  start: boolean;
  end: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Sends one inference request and checks the response against the model metadata. */
export async function sendOne(url: string, info: ModelInfo, req: PreparedRequest, seq?: SequenceFlags, transport: Transport = fetchTransport): Promise<Sample> {
  const t0 = performance.now();
  let body = req.body;
  let headers = req.headers;
  if (seq) ({ body, headers } = withSequence(req, seq));
  const t1 = performance.now();
  let res: Awaited<ReturnType<Transport>>;
  try {
    res = await transport(url, body, headers);
  } catch (e) {
    return { latency: performance.now() - t0, send: t1 - t0, recv: 0, outcome: 'error', detail: (e as Error).message };
  }
  const t2 = performance.now();
  let outcome: Sample['outcome'] = 'ok';
  let detail: string | undefined;
  if (res.status !== 200) {
    outcome = 'error';
    detail = `HTTP ${res.status}: ${dec.decode(res.body.subarray(0, 300))}`;
  } else {
    detail = validate(info, res.body, res.headerLength, req.expected);
    if (detail) outcome = 'invalid';
  }
  const t3 = performance.now();
  return { latency: t3 - t0, send: t1 - t0, recv: t3 - t2, outcome, detail };
}

function withSequence(req: PreparedRequest, seq: SequenceFlags): { body: Uint8Array; headers: Record<string, string> } {
  const hl = req.headers['inference-header-content-length'];
  const jsonLen = hl === undefined ? req.body.byteLength : Number(hl);
  const header = JSON.parse(dec.decode(req.body.subarray(0, jsonLen)));
  header.parameters = { ...header.parameters, sequence_id: seq.id, sequence_start: seq.start, sequence_end: seq.end };
  const head = enc.encode(JSON.stringify(header));
  const tail = req.body.subarray(jsonLen);
  const body = new Uint8Array(head.byteLength + tail.byteLength);
  body.set(head);
  body.set(tail, head.byteLength);
  return { body, headers: hl === undefined ? req.headers : { ...req.headers, 'inference-header-content-length': String(head.byteLength) } };
}

/** Returns why a response does not fit the model (datatype, shape, size, expected values), or undefined. */
export function validate(info: ModelInfo, buf: Uint8Array, headerLength: string | null, expected?: Record<string, unknown[]>): string | undefined {
  const jsonLen = headerLength === null ? buf.byteLength : Number(headerLength);
  let json: { outputs?: { name: string; datatype: string; shape: number[]; data?: unknown[]; parameters?: { binary_data_size?: number } }[] };
  try {
    json = JSON.parse(dec.decode(buf.subarray(0, jsonLen)));
  } catch {
    return 'response is not JSON';
  }
  const batch = info.maxBatchSize > 0 ? info.inputs[0]?.shape[0] : undefined;
  let off = jsonLen;
  for (const out of json.outputs ?? []) {
    const meta = info.outputs.find((o) => o.name === out.name);
    if (!meta) return `unexpected output '${out.name}'`;
    if (out.datatype !== meta.datatype) return `output '${out.name}' has datatype ${out.datatype}, metadata says ${meta.datatype}`;
    const want = batch !== undefined ? [batch, ...meta.shape.slice(1)] : meta.shape;
    if (out.shape.length !== want.length || out.shape.some((d, i) => want[i] !== -1 && want[i] !== d)) {
      return `output '${out.name}' has shape [${out.shape.join(',')}], expected [${want.join(',')}]`;
    }
    const size = out.parameters?.binary_data_size;
    if (size !== undefined) {
      if (off + size > buf.byteLength) return `output '${out.name}' binary data is truncated`;
      if (expected?.[out.name] && out.datatype === 'FP32') {
        const got = new Float32Array(buf.slice(off, off + size).buffer);
        const mismatch = compare(Array.from(got), expected[out.name]!);
        if (mismatch) return `output '${out.name}' ${mismatch}`;
      }
      off += size;
    } else if (expected?.[out.name]) {
      const mismatch = compare(out.data ?? [], expected[out.name]!);
      if (mismatch) return `output '${out.name}' ${mismatch}`;
    }
  }
  if (off !== buf.byteLength) return `response has ${buf.byteLength - off} unexpected trailing bytes`;
  return undefined;
}

function compare(got: unknown[], want: unknown[]): string | undefined {
  if (got.length !== want.length) return `has ${got.length} elements, expected ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want[i];
    const bad = typeof g === 'number' && typeof w === 'number' ? Math.abs(g - w) > 1e-5 * Math.max(1, Math.abs(w)) : String(g) !== String(w);
    if (bad) return `element ${i} is ${String(g)}, expected ${String(w)}`;
  }
  return undefined;
}
