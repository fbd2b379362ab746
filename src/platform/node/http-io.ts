import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { countCopied, invalidArg } from '../../core/index.ts';
import type { HttpIo } from '../../transports/http/app.ts';
import { tooLarge } from '../../transports/http/body.ts';

const nodeOf = (c: Context) => c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;

/**
 * Reads a body of declared length straight from the socket into one buffer (the only copy of its
 * tensor data on the way in), placed so that the binary section after the JSON header
 * (`Inference-Header-Content-Length`) starts 8-byte aligned: every tensor in it can be a view.
 * Compressed or chunked bodies go to the generic reader (undefined).
 */
function readBody(c: Context, limit: number): Promise<Uint8Array> | undefined {
  const incoming = nodeOf(c)?.incoming;
  if (!incoming) return undefined;
  const h = incoming.headers;
  const encoding = h['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity' && encoding.trim() !== '') return undefined;
  const declared = h['content-length'];
  if (declared === undefined || !/^\d+$/.test(declared)) return undefined;
  const length = Number(declared);
  if (length > limit) throw tooLarge(declared, limit);
  const hl = Number(h['inference-header-content-length']);
  const json = Number.isSafeInteger(hl) && hl >= 0 && hl <= length ? hl : length;
  const pad = (8 - (json % 8)) % 8;
  const buf = new Uint8Array(pad + length);
  return new Promise((resolve, reject) => {
    let at = pad;
    const onData = (chunk: Buffer) => {
      if (at + chunk.byteLength > buf.byteLength) return reject(invalidArg('the request body is longer than its Content-Length'));
      buf.set(chunk, at);
      at += chunk.byteLength;
    };
    const onEnd = () => {
      incoming.off('data', onData);
      if (at !== buf.byteLength) return reject(invalidArg(`failed to read the request body: ${at - pad} of ${length} bytes arrived`));
      countCopied(length - json);
      resolve(buf.subarray(pad));
    };
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', (e) => reject(invalidArg(`failed to read the request body: ${e.message}`)));
  });
}

/**
 * Writes a response's parts (JSON header, then each binary output) to the socket as they are,
 * corked into one write, instead of joining them into one buffer first.
 */
function writeParts(c: Context, status: number, headers: Record<string, string>, parts: readonly Uint8Array[], byteLength: number): Response | undefined {
  const outgoing = nodeOf(c)?.outgoing;
  if (!outgoing || outgoing.headersSent) return undefined;
  outgoing.writeHead(status, { ...headers, 'content-length': String(byteLength) });
  outgoing.cork();
  for (const p of parts) outgoing.write(p);
  outgoing.end();
  return RESPONSE_ALREADY_SENT;
}

/** Node's fast paths for inference bodies (see HttpIo). */
export const nodeHttpIo: HttpIo = { readBody, writeParts };
