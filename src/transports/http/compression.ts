export type Encoding = 'gzip' | 'deflate';

/** Picks the response encoding from Accept-Encoding by q-weight (identity wins ties). */
export function pickEncoding(accept: string | null): Encoding | undefined {
  if (!accept) return undefined;
  let best: { enc: string; q: number } = { enc: 'identity', q: 0.001 };
  for (const part of accept.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qp ? Number(qp.slice(2)) : 1;
    if (!name || !(q > 0)) continue;
    if (name === 'identity' && q >= best.q) best = { enc: 'identity', q };
    else if ((name === 'gzip' || name === 'deflate') && q > best.q) best = { enc: name, q };
  }
  return best.enc === 'gzip' || best.enc === 'deflate' ? best.enc : undefined;
}

export function compressResponse(body: Uint8Array, encoding: Encoding, headers: Record<string, string>): Response {
  const stream = new Blob([body as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new CompressionStream(encoding) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Response(stream as ReadableStream<Uint8Array<ArrayBuffer>>, { headers: { ...headers, 'content-encoding': encoding } });
}
