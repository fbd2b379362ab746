/**
 * The backends the contract runs against in Node, each with the files of the contract's models
 * in its own format. Shared by the contract tests and by backend-exit.ts, which uses one in a
 * fresh process (so nothing here imports vitest).
 */
import { availableParallelism } from 'node:os';
import { jsNodeBackend } from '../../src/platform/node/js-backend.ts';
import { type ExecutionThread, ortNodeRuntime } from '../../src/platform/ort/node/backend.ts';
import { onnxruntimeBackend } from '../../src/platform/ort/session-backend.ts';
import { type OrtWebModule, ortWebRuntime } from '../../src/platform/ort/web.ts';
import { addSubModel, stringAddSubModel } from '../../src/tools/onnx/models.ts';
import type { BadInput } from './backend-contract.ts';
import { type ContractModel, countCreations, type CreationStats, type LocalSubject, WIDTH } from './backend-harness.ts';
import { fakeBackend, fakeModelFile } from './fake-backend.ts';

/** The contract's models as ONNX graphs (the same for onnxruntime-node and onnxruntime-web). */
export const onnxFiles = (model: ContractModel): Record<string, Uint8Array> => ({
  'model.onnx': model === 'addsub' ? addSubModel({ dims: ['batch', WIDTH] }) : stringAddSubModel(),
});

/** The contract's add/sub as a JavaScript model; auto-complete comes from its autoCompleteConfig. */
export const ADDSUB_JS = `
export function autoCompleteConfig(config) {
  if (config.input.length === 0) {
    config.max_batch_size = ${8};
    for (const name of ['INPUT0', 'INPUT1']) config.input.push({ name, data_type: 'TYPE_FP32', dims: [${WIDTH}] });
    for (const name of ['OUTPUT0', 'OUTPUT1']) config.output.push({ name, data_type: 'TYPE_FP32', dims: [${WIDTH}] });
  }
  return config;
}
export function execute(requests) {
  return requests.map((r) => {
    const a = r.inputs.INPUT0, b = r.inputs.INPUT1;
    return { outputs: {
      OUTPUT0: { shape: a.shape, data: a.data.map((x, i) => x + b.data[i]) },
      OUTPUT1: { shape: a.shape, data: a.data.map((x, i) => x - b.data[i]) },
    } };
  });
}
`;

/**
 * BYTES add/sub of decimal integers. An element that is not one makes the computation throw;
 * the model returns that error as the response of its request alone (Triton's Python backend
 * does the same with an error response), so the other requests of the call still get theirs.
 */
export const STRINGS_JS = `
export function autoCompleteConfig(config) {
  if (config.input.length === 0) {
    config.max_batch_size = ${8};
    for (const name of ['INPUT0', 'INPUT1']) config.input.push({ name, data_type: 'TYPE_STRING', dims: [${WIDTH}] });
    for (const name of ['OUTPUT0', 'OUTPUT1']) config.output.push({ name, data_type: 'TYPE_STRING', dims: [${WIDTH}] });
  }
  return config;
}
const decoder = new TextDecoder();
const integer = (bytes) => {
  const s = decoder.decode(bytes);
  if (!/^-?[0-9]+$/.test(s)) throw new Error("'" + s + "' is not a decimal integer");
  return Number(s);
};
export function execute(requests) {
  return requests.map((r) => {
    try {
      const a = r.inputs.INPUT0.data.map(integer), b = r.inputs.INPUT1.data.map(integer);
      return { outputs: {
        OUTPUT0: { shape: r.inputs.INPUT0.shape, data: a.map((x, i) => String(x + b[i])) },
        OUTPUT1: { shape: r.inputs.INPUT0.shape, data: a.map((x, i) => String(x - b[i])) },
      } };
    } catch (e) {
      return e;
    }
  });
}
`;

/** BYTES rows of decimal integers, with `odd` as element 5. */
const byteRow = (odd: number[]) => Array.from({ length: WIDTH }, (_, i) => (i === 5 ? odd : Array.from(new TextEncoder().encode(String(i)))));

/** onnxruntime (node and web) refuses a request whose BYTES are not UTF-8 text, before the batch runs. */
export const NOT_UTF8: BadInput = {
  model: 'strings',
  inputs: {
    INPUT0: { datatype: 'BYTES', shape: [1, WIDTH], data: byteRow([0xff, 0xfe, 0x31]) },
    INPUT1: { datatype: 'BYTES', shape: [1, WIDTH], data: byteRow([0x32]) },
  },
  error: { code: 'INVALID_ARG', message: "input 'INPUT0' holds bytes that are not valid UTF-8; onnxruntime string tensors need UTF-8 text" },
};

/** An element that is not a decimal integer: the fake backend and the JavaScript model refuse it, for that request alone. */
export const NOT_AN_INTEGER = (error: string | RegExp): BadInput => ({
  model: 'strings',
  inputs: {
    INPUT0: { datatype: 'BYTES', shape: [1, WIDTH], data: byteRow(Array.from(new TextEncoder().encode('twelve'))) },
    INPUT1: { datatype: 'BYTES', shape: [1, WIDTH], data: byteRow([0x32]) },
  },
  error: { code: 'INVALID_ARG', message: error },
});

export function fakeSubject(): LocalSubject {
  return { backend: fakeBackend, files: (model) => ({ 'model.fake': fakeModelFile(model, WIDTH) }) };
}

/** onnxruntime-node on the JavaScript thread (`main`) or in a thread of its own per instance (`worker`). */
export function ortNodeSubject(executionThread: Exclude<ExecutionThread, 'auto'>): LocalSubject {
  return {
    backend: () => onnxruntimeBackend({ native: async () => ortNodeRuntime({ cpuCount: 1, executionThread }) }),
    files: onnxFiles,
    providers: { providers: ['cpu'] },
  };
}

/**
 * onnxruntime-web (WASM) under Node, loaded as the Node composition root loads it, with its
 * session creations counted (they must never overlap).
 */
export function ortWebNodeSubject(): LocalSubject {
  let stats: () => CreationStats = () => ({ count: 0, maxInFlight: 0 });
  return {
    backend: () =>
      onnxruntimeBackend({
        web: async () => {
          const ort = await import('onnxruntime-web');
          ort.env.wasm.numThreads = Math.max(1, Math.min(2, availableParallelism()));
          const counted = countCreations(ort.InferenceSession.create.bind(ort.InferenceSession) as OrtWebModule['InferenceSession']['create']);
          stats = counted.stats;
          return ortWebRuntime({ ort: { Tensor: ort.Tensor, InferenceSession: { create: counted.create } }, threads: ort.env.wasm.numThreads });
        },
      }),
    files: onnxFiles,
    providers: { providers: ['wasm'] },
    creations: () => stats(),
  };
}

/** The JavaScript backend: each instance a worker thread running the model's model.js. */
export function jsNodeSubject(): LocalSubject {
  return { backend: () => jsNodeBackend(), files: (model) => ({ 'model.js': model === 'addsub' ? ADDSUB_JS : STRINGS_JS }) };
}

/** Every Node subject by name (backend-exit.ts takes one of these names). */
export const NODE_SUBJECTS: Record<string, () => LocalSubject> = {
  fake: fakeSubject,
  'ort-node-main': () => ortNodeSubject('main'),
  'ort-node-worker': () => ortNodeSubject('worker'),
  'ort-web-node': ortWebNodeSubject,
  js: jsNodeSubject,
};
