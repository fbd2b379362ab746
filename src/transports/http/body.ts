import { invalidArg } from '../../core/index.ts';
import { httpProblem } from './errors.ts';

export const tooLarge = (size: number | string, limit: number) =>
  invalidArg(`request JSON size of ${size} bytes exceeds the maximum allowed input size of ${limit} bytes. Use --http-max-input-size to increase the limit.`);

/**
 * Reads a request body, refusing more than `limit` bytes (declared or actually sent) and
 * decompressing gzip/deflate bodies within the same limit.
 */
export async function readBody(req: Request, limit: number, allowCompressed: boolean): Promise<Uint8Array> {
  const encoding = (req.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  const compressed = encoding !== 'identity' && encoding !== '';
  if (compressed && (!allowCompressed || (encoding !== 'gzip' && encoding !== 'deflate'))) {
    throw httpProblem(501, 'Unsupported compression type', { 'accept-encoding': 'gzip, deflate' });
  }
  const declared = req.headers.get('content-length');
  if (!compressed && declared !== null) {
    if (Number(declared) > limit) throw tooLarge(declared, limit);
    // Declared length: read it in one go (the server enforces it; adapters have a fast path for this).
    return new Uint8Array(await req.arrayBuffer());
  }
  if (!req.body) return new Uint8Array(0);
  let stream: ReadableStream<Uint8Array> = req.body;
  if (compressed)
    stream = stream.pipeThrough(new DecompressionStream(encoding as CompressionFormat) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return readLimited(stream, limit);
}

async function readLimited(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(`more than ${limit}`, limit);
      }
      chunks.push(value);
    }
  } catch (e) {
    if ((e as { code?: string }).code) throw e;
    throw invalidArg(`failed to read the request body: ${(e as Error).message}`);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
