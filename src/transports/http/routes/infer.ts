import type { Context } from 'hono';
import { binaryOutputs, decodeInferRequest, encodeInferResponse, invalidArg, joinParts } from '../../../core/index.ts';
import { readBody } from '../body.ts';
import type { RouteContext } from '../context.ts';
import { compressResponse, pickEncoding } from '../compression.ts';

const HEADER_LENGTH = 'inference-header-content-length';
const MIN_COMPRESS_BYTES = 1024;

/** POST /v2/models/{m}[/versions/{v}]/infer: JSON or binary tensors in, JSON or binary out. */
export async function handleInfer(c: Context, ctx: RouteContext, model: string, version: string | undefined): Promise<Response> {
  const req = c.req.raw;
  const body = await (ctx.io?.readBody?.(c, ctx.maxInputSize) ?? readBody(req, ctx.maxInputSize, true));
  const headerLength = parseHeaderLength(req.headers.get(HEADER_LENGTH), body.byteLength);
  const request = decodeInferRequest(body, { model, version, headerLength });
  request.signal = ctx.cancelSignal(c);
  const response = await ctx.server.infer(request, 'HTTP end point');
  ctx.noteServedVersion?.(c, response.model_version);
  const encoded = encodeInferResponse(response, binaryOutputs(request.outputs, request.binaryOutput === true));
  const headers: Record<string, string> = {};
  if (encoded.headerLength !== undefined) {
    headers['content-type'] = 'application/octet-stream';
    headers[HEADER_LENGTH] = String(encoded.headerLength);
  } else {
    headers['content-type'] = 'application/json';
  }
  // Small bodies are sent as they are: compressing them costs both sides more than it saves.
  const encoding = encoded.byteLength >= MIN_COMPRESS_BYTES ? pickEncoding(req.headers.get('accept-encoding')) : undefined;
  if (!encoding && encoded.parts.length > 1) {
    const sent = ctx.io?.writeParts?.(c, 200, headers, encoded.parts, encoded.byteLength);
    if (sent) return sent;
  }
  const out = joinParts(encoded.parts, encoded.byteLength);
  if (encoding) return compressResponse(out, encoding, headers);
  return new Response(out as Uint8Array<ArrayBuffer>, { headers });
}

function parseHeaderLength(value: string | null, total: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (!/^-?\d+$/.test(v)) throw invalidArg(`Unable to parse Inference-Header-Content-Length, got: ${value}`);
  const n = Number(v);
  if (n < 0 || n > total) throw invalidArg(`inference header size should be in range (0, ${total}), got: ${value}`);
  return n;
}
