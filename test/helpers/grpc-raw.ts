/**
 * gRPC at the wire level for the tests that need what no client library lets them do: a message
 * prefix declaring a huge size, or a big message sent as fast as the socket takes it (grpc-js
 * encodes it first and misses short deadlines). node:http2 and a hand-written protobuf encoder,
 * independent of the server's grpc-js and protobuf-es.
 */
import http2 from 'node:http2';

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 2n ** 64n;
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const enc = new TextEncoder();
const field = (no: number, wire: number) => varint((no << 3) | wire);
const bytesField = (no: number, b: Uint8Array): Uint8Array[] => [Uint8Array.from([...field(no, 2), ...varint(b.byteLength)]), b];
const join = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
};

export interface RawInput {
  name: string;
  datatype: string;
  shape: number[];
}

/** inference.ModelInferRequest: model_name = 1, inputs = 5 (name 1, datatype 2, shape 3 packed), raw_input_contents = 7. */
export function encodeModelInferRequest(model: string, inputs: RawInput[], raw: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [...bytesField(1, enc.encode(model))];
  for (const i of inputs) {
    const shape = Uint8Array.from(i.shape.flatMap((d) => varint(d)));
    const tensor = join([...bytesField(1, enc.encode(i.name)), ...bytesField(2, enc.encode(i.datatype)), ...bytesField(3, shape)]);
    parts.push(...bytesField(5, tensor));
  }
  for (const r of raw) parts.push(...bytesField(7, r));
  return join(parts);
}

/** The 5-byte gRPC message prefix: not compressed, `length` big-endian. */
export function messagePrefix(length: number): Uint8Array {
  const p = new Uint8Array(5);
  new DataView(p.buffer).setUint32(1, length);
  return p;
}

export interface RawCallResult {
  status?: number;
  message?: string;
  /** Milliseconds until the call closed. */
  ms: number;
}

export interface RawCallOptions {
  /** Sent as grpc-timeout; the call is also cancelled (RST_STREAM CANCEL) when it passes, as gRPC clients do. */
  timeoutMs?: number;
  /** Leave the request stream open after writing (a client still sending). */
  keepOpen?: boolean;
  headers?: Record<string, string>;
}

/** One call of `method` on `address` (HOST:PORT) with `chunks` as the request body. */
export async function rawGrpcCall(address: string, method: string, chunks: Uint8Array[], opts: RawCallOptions = {}): Promise<RawCallResult> {
  const session = http2.connect(`http://${address}`, { maxSessionMemory: 8192 });
  session.on('error', () => {});
  const start = Date.now();
  try {
    const req = session.request({
      ':method': 'POST',
      ':path': `/inference.GRPCInferenceService/${method}`,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...(opts.timeoutMs !== undefined ? { 'grpc-timeout': `${opts.timeoutMs}m` } : {}),
      ...opts.headers,
    });
    const result: RawCallResult = { ms: 0 };
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) {
        result.status = Number(h['grpc-status']);
        result.message = decodeURIComponent(String(h['grpc-message'] ?? ''));
      }
    };
    req.on('response', take);
    req.on('trailers', take);
    req.on('data', () => {});
    req.on('error', () => {});
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => req.close(http2.constants.NGHTTP2_CANCEL), opts.timeoutMs);
    for (const c of chunks) req.write(c);
    if (!opts.keepOpen) req.end();
    await new Promise((r) => req.once('close', r));
    clearTimeout(timer);
    result.ms = Date.now() - start;
    return result;
  } finally {
    session.destroy();
  }
}
