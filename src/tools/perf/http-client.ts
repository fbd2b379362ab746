import { bodyOf, decodeClientResponse, encodeClientRequest } from '../../core/index.ts';
import { connectFailure, fetchTransport, type Transport } from './client.ts';
import { type ModelInfo, PerfError, type TensorMeta } from './model-info.ts';
import type { ModelDescription, PerfClient, Sample, SequenceFlags, ServerCounters } from './perf-client.ts';
import { type DecodedOutput, validateOutputs } from './validate.ts';

export interface HttpClientOptions {
  /** Tensors in binary form (the binary data extension) rather than JSON. */
  binary: boolean;
  /** How inference requests travel (default: fetch). Metadata, config and statistics use fetch. */
  transport?: Transport;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The KServe v2 HTTP client of the load generator, for the server at `url` (e.g. http://localhost:8000). */
export function httpPerfClient(url: string, opts: HttpClientOptions): PerfClient {
  const base = url.replace(/\/+$/, '');
  const transport = opts.transport ?? fetchTransport;
  const modelPath = (info: ModelInfo) => `${base}/v2/models/${encodeURIComponent(info.name)}/versions/${info.version}`;
  return {
    streaming: false,
    describe: async (model, version) => {
      const path = `${base}/v2/models/${encodeURIComponent(model)}${version ? `/versions/${version}` : ''}`;
      const meta = await getJson(path);
      const config = await getJson(`${path}/config`);
      return describeJson(meta, config);
    },
    statistics: (info) => statistics(`${modelPath(info)}/stats`),
    prepare: (info, spec) => {
      const encoded = encodeClientRequest({
        parameters: opts.binary ? { binary_data_output: true } : {},
        inputs: spec.inputs.map((t) =>
          opts.binary
            ? { name: t.name, datatype: t.datatype, shape: t.shape, bytes: t.bytes }
            : { name: t.name, datatype: t.datatype, shape: t.shape, data: t.json },
        ),
      });
      // Like perf_analyzer, never ask for compressed responses (fetch would ask for gzip by default).
      const req: HttpRequest = {
        body: bodyOf(encoded),
        headers: opts.binary
          ? { 'inference-header-content-length': String(encoded.headerLength), 'content-type': 'application/octet-stream', 'accept-encoding': 'identity' }
          : { 'content-type': 'application/json', 'accept-encoding': 'identity' },
      };
      const inferUrl = `${modelPath(info)}/infer`;
      return (seq) => sendOne(inferUrl, info, req, spec.expected, seq, transport);
    },
  };
}

interface HttpRequest {
  body: Uint8Array;
  headers: Record<string, string>;
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new PerfError(connectFailure(url, e));
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new PerfError(`GET ${url}: HTTP ${res.status} ${(body as { error?: string }).error ?? ''}`.trim());
  return body as Record<string, unknown>;
}

function describeJson(meta: Record<string, unknown>, config: Record<string, unknown>): ModelDescription {
  const tensors = (list: unknown) => ((list ?? []) as TensorMeta[]).map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape }));
  return {
    versions: meta.versions as string[] | undefined,
    inputs: tensors(meta.inputs),
    outputs: tensors(meta.outputs),
    maxBatchSize: Number(config.max_batch_size ?? 0),
    sequence: config.sequence_batching !== undefined,
    decoupled: (config.model_transaction_policy as { decoupled?: boolean } | undefined)?.decoupled === true,
  };
}

async function statistics(url: string): Promise<ServerCounters | undefined> {
  try {
    const res = await fetch(url);
    if (!res.ok) return undefined;
    const s = (await res.json()).model_stats?.[0]?.inference_stats;
    if (!s) return undefined;
    return { count: s.success.count, queue: s.queue.ns, input: s.compute_input.ns, infer: s.compute_infer.ns, output: s.compute_output.ns };
  } catch {
    return undefined;
  }
}

/** Sends one inference request and checks the response against the model metadata. */
async function sendOne(
  url: string,
  info: ModelInfo,
  req: HttpRequest,
  expected: Record<string, unknown[]> | undefined,
  seq: SequenceFlags | undefined,
  transport: Transport,
): Promise<Sample> {
  const t0 = performance.now();
  const { body, headers } = seq ? withSequence(req, seq) : req;
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
    const outputs = decodeResponse(res.body, res.headerLength);
    detail = typeof outputs === 'string' ? outputs : validateOutputs(info, outputs, expected);
    if (detail) outcome = 'invalid';
  }
  const t3 = performance.now();
  return { latency: t3 - t0, send: t1 - t0, recv: t3 - t2, outcome, detail };
}

/** A sequence request: the prepared JSON header with sequence_id, sequence_start and sequence_end added. */
function withSequence(req: HttpRequest, seq: SequenceFlags): HttpRequest {
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

/** A KServe v2 response body as outputs (binary ones with their bytes), or why it cannot be read. */
function decodeResponse(body: Uint8Array, headerLength: string | null): DecodedOutput[] | string {
  const jsonLength = headerLength === null ? body.byteLength : Number(headerLength);
  let outputs: DecodedOutput[];
  try {
    outputs = (decodeClientResponse(body, jsonLength).outputs ?? []).map((o) => ({
      name: o.name,
      datatype: o.datatype,
      shape: o.shape,
      bytes: o.bytes,
      data: o.data,
    }));
  } catch (e) {
    return (e as Error).name === 'SyntaxError' ? 'response is not JSON' : (e as Error).message;
  }
  const end = outputs.reduce((at, o) => at + (o.bytes?.byteLength ?? 0), jsonLength);
  if (end !== body.byteLength) return `response has ${body.byteLength - end} unexpected trailing bytes`;
  return outputs;
}
