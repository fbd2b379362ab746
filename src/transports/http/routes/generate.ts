import type { Context } from 'hono';
import { decodeGenerateRequest, encodeGenerateResponse, type GenerateInput, type InferResponse, invalidArg, toServerError } from '../../../core/index.ts';
import { readBody } from '../body.ts';
import type { RouteContext } from '../context.ts';

const enc = new TextEncoder();

/** One SSE event: exactly `data: <json>` and a blank line (no `event:`/`id:` lines, no sentinel). */
const event = (value: unknown) => enc.encode(`data: ${JSON.stringify(value)}\n\n`);

async function parse(c: Context, ctx: RouteContext, model: string, version: string | undefined) {
  const bytes = await readBody(c.req.raw, ctx.maxInputSize, true);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw invalidArg(`failed to parse the request JSON buffer: ${(e as Error).message}`);
  }
  const meta = (await ctx.server.modelMetadata(model, version)) as { inputs: GenerateInput[] };
  const req = decodeGenerateRequest(body, model, version, meta.inputs);
  req.signal = ctx.cancelSignal(c);
  return req;
}

/**
 * POST /v2/models/{m}[/versions/{v}]/generate: Triton's generate extension, one JSON response. A
 * decoupled model must answer with exactly one response here (generate_stream takes any number).
 */
export async function handleGenerate(c: Context, ctx: RouteContext, model: string, version: string | undefined): Promise<Response> {
  {
    const req = await parse(c, ctx, model, version);
    const responses: InferResponse[] = [];
    let failure: Error | undefined;
    await ctx.server.inferStream(req, {
      send(r) {
        if (r instanceof Error) failure ??= r;
        else if (r) responses.push(r);
      },
    });
    if (failure) throw failure;
    if (responses.length !== 1) {
      throw invalidArg(`generate expects exactly one response from model '${model}', which sent ${responses.length}: use generate_stream for more`);
    }
    return Response.json(encodeGenerateResponse(responses[0]!));
  }
}

/**
 * POST .../generate_stream: every response as a server-sent event, as soon as it is ready (any
 * model; decoupled ones may send many). An error before the first response is an ordinary JSON
 * error with its status; after it, an event `data: {"error": ...}`.
 */
export async function handleGenerateStream(c: Context, ctx: RouteContext, model: string, version: string | undefined): Promise<Response> {
  const req = await parse(c, ctx, model, version);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (ctl) => void (controller = ctl) });
  let started: (value: 'open' | Error) => void;
  const first = new Promise<'open' | Error>((resolve) => (started = resolve));
  let open = false;
  const write = (value: unknown) => {
    if (!open) {
      open = true;
      started('open');
    }
    try {
      controller.enqueue(event(value));
    } catch {
      // the client went away
    }
  };
  void ctx.server
    .inferStream(req, {
      send(r) {
        if (r === undefined) return;
        if (r instanceof Error) write({ error: r.message });
        else {
          let out: unknown;
          try {
            out = encodeGenerateResponse(r);
          } catch (e) {
            out = { error: toServerError(e).message };
          }
          write(out);
        }
      },
    })
    .then(
      () => {
        if (!open) started('open');
      },
      (e: unknown) => {
        if (!open) return started(toServerError(e));
        write({ error: toServerError(e).message });
      },
    )
    .finally(() => {
      try {
        controller.close();
      } catch {
        // already closed
      }
    });
  const outcome = await first;
  if (outcome instanceof Error) throw outcome;
  return new Response(body, { headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } });
}
