/**
 * A small execution backend written for the backend contract: it computes add/sub in plain
 * JavaScript from a JSON "model file", so the contract's cases can be seen to pass on an
 * implementation whose every line is in view (and to fail when one is broken).
 */
import {
  type BackendInstance,
  completeFromModelIO,
  type ExecRequest,
  type ExecResult,
  type ExecutionBackend,
  invalidArg,
  type Tensor,
  type TensorSpec,
  unavailable,
} from '../../src/core/index.ts';

/** `model.fake`: which computation, and the tensors auto-complete reports. */
export interface FakeModelFile {
  op: 'addsub' | 'strings';
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export function fakeModelFile(op: FakeModelFile['op'], width: number): string {
  const datatype = op === 'addsub' ? 'FP32' : 'BYTES';
  const t = (name: string): TensorSpec => ({ name, datatype, dims: [-1, width] });
  return JSON.stringify({ op, inputs: [t('INPUT0'), t('INPUT1')], outputs: [t('OUTPUT0'), t('OUTPUT1')] } satisfies FakeModelFile);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** A BYTES element as an integer; anything else fails its request. */
function integer(b: Uint8Array, input: string): number {
  let s: string;
  try {
    s = utf8.decode(b);
  } catch {
    throw invalidArg(`input '${input}' holds bytes that are not valid UTF-8`);
  }
  if (!/^-?\d+$/.test(s)) throw invalidArg(`input '${input}' holds '${s}', which is not a decimal integer`);
  return Number(s);
}

function compute(op: FakeModelFile['op'], r: ExecRequest): ExecResult {
  const a = r.inputs.get('INPUT0');
  const b = r.inputs.get('INPUT1');
  if (!a || !b) throw invalidArg('inputs INPUT0 and INPUT1 are required');
  const both = (f: (x: number, y: number) => number): Tensor => {
    if (op === 'addsub') {
      const x = a.data as Float32Array;
      const y = b.data as Float32Array;
      return { datatype: 'FP32', shape: [...a.shape], data: x.map((v, i) => f(v, y[i]!)) };
    }
    const x = (a.data as Uint8Array[]).map((e) => integer(e, 'INPUT0'));
    const y = (b.data as Uint8Array[]).map((e) => integer(e, 'INPUT1'));
    return { datatype: 'BYTES', shape: [...a.shape], data: x.map((v, i) => encoder.encode(String(f(v, y[i]!)))) };
  };
  const all: Record<string, () => Tensor> = { OUTPUT0: () => both((x, y) => x + y), OUTPUT1: () => both((x, y) => x - y) };
  return { outputs: new Map(r.outputs.map((n) => [n, all[n]!()])) };
}

export function fakeBackend(): ExecutionBackend {
  const read = async (source: Parameters<NonNullable<ExecutionBackend['autoComplete']>>[0]): Promise<FakeModelFile> =>
    JSON.parse(new TextDecoder().decode(await source.readFile(source.config.defaultModelFilename || 'model.fake')));
  return {
    name: 'fake',
    async autoComplete(source) {
      completeFromModelIO(source.config, await read(source));
    },
    async createInstance(source): Promise<BackendInstance> {
      const model = await read(source);
      let disposed = false;
      return {
        device: 'js',
        async execute(requests) {
          if (disposed) throw unavailable(`model '${source.name}': the instance was disposed`);
          return {
            results: requests.map((r) => {
              try {
                return compute(model.op, r);
              } catch (e) {
                return e as Error;
              }
            }),
          };
        },
        async dispose() {
          disposed = true;
        },
      };
    },
  };
}
