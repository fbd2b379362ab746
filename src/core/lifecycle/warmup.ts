import type { BackendInstance, ExecRequest, ModelSource } from '../backend/backend.ts';
import { protocolType } from '../config/accessors.ts';
import type { ModelConfig, ModelWarmup } from '../config/gen/model_config_pb.ts';
import { invalidArg, toServerError } from '../errors.ts';
import { joinPath } from '../repository/driver.ts';
import { allocate, DATA_TYPES } from '../tensor/datatype.ts';
import type { Tensor, TypedArray } from '../types.ts';

/**
 * Runs `model_warmup` samples on every instance before the version may become READY. A failing
 * sample fails the load with the reason.
 */
export async function warmUp(source: ModelSource, config: ModelConfig, instances: BackendInstance[]): Promise<void> {
  for (const w of config.modelWarmup) {
    let request: ExecRequest;
    try {
      request = { inputs: await warmupInputs(source, config, w), outputs: config.output.map((o) => o.name) };
    } catch (e) {
      throw invalidArg(`warmup '${w.name}' of model '${config.name}' is invalid: ${toServerError(e).message}`);
    }
    for (const instance of instances) {
      for (let i = 0; i < Math.max(1, w.count); i++) {
        const outcome = await instance.execute([{ ...request, outputs: [...request.outputs] }]).catch((e: unknown) => ({ results: [e as Error] }));
        const r = outcome.results[0];
        if (!r || !('outputs' in r)) {
          throw invalidArg(`model '${config.name}' warmup '${w.name}' failed on instance ${instance.device}: ${r ? toServerError(r).message : 'no result'}`);
        }
      }
    }
    source.log.verbose(1, `model '${config.name}' warmup '${w.name}' done`);
  }
}

/** The tensors of one warm-up sample (batch dimension included for batching models), as the warm-up sends them. */
export async function warmupInputs(source: ModelSource, config: ModelConfig, w: ModelWarmup): Promise<Map<string, Tensor>> {
  const batch = config.maxBatchSize > 0 ? [Math.max(1, w.batchSize)] : [];
  const inputs = new Map<string, Tensor>();
  for (const [name, spec] of Object.entries(w.inputs)) {
    const datatype = protocolType(spec.dataType);
    if (!datatype) throw invalidArg(`input '${name}' needs a data_type`);
    const dims = spec.dims.map(Number);
    if (dims.some((d) => d < 0)) throw invalidArg(`input '${name}' needs fixed dims`);
    const shape = [...batch, ...dims];
    const count = shape.reduce((a, b) => a * b, 1);
    const kind = spec.inputDataType.case;
    if (datatype === 'BYTES') {
      const content = kind === 'inputDataFile' ? await source.readModelFile(joinPath('warmup', spec.inputDataType.value as string)) : new Uint8Array(0);
      inputs.set(name, { datatype, shape, data: Array.from({ length: count }, () => content) });
      continue;
    }
    const data = allocate(datatype, count) as TypedArray;
    if (kind === 'randomData') fillRandom(data);
    else if (kind === 'inputDataFile') {
      const bytes = await source.readModelFile(joinPath('warmup', spec.inputDataType.value as string));
      const need = count * DATA_TYPES[datatype].size;
      if (bytes.byteLength < need) throw invalidArg(`file '${spec.inputDataType.value}' for input '${name}' has ${bytes.byteLength} bytes, needs ${need}`);
      new Uint8Array(data.buffer, data.byteOffset, need).set(bytes.subarray(0, need));
    }
    inputs.set(name, { datatype, shape, data });
  }
  return inputs;
}

function fillRandom(data: TypedArray): void {
  const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  if (data instanceof Float32Array || data instanceof Float64Array) {
    for (let i = 0; i < data.length; i++) data[i] = Math.random();
    return;
  }
  for (let off = 0; off < bytes.length; off += 65536) crypto.getRandomValues(bytes.subarray(off, Math.min(bytes.length, off + 65536)));
}
