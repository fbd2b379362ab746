/**
 * Triton's namespacing fixtures as JavaScript models: "addsub"/"subadd" composing models (INT32
 * [16] in and out, config from autoCompleteConfig as Triton's Python models there) and an
 * ensemble of one step over a composing model.
 */

/** A composing model: OUTPUT0 = INPUT0 op0 INPUT1, OUTPUT1 = INPUT0 op1 INPUT1, after `delayMs`. */
export const composing = (op0: '+' | '-', op1: '+' | '-', delayMs = 0) => `
export function autoCompleteConfig(config) {
  if (config.input.length === 0 && config.output.length === 0) {
    for (const n of ['INPUT0', 'INPUT1']) config.input.push({ name: n, data_type: 'TYPE_INT32', dims: [16] });
    for (const n of ['OUTPUT0', 'OUTPUT1']) config.output.push({ name: n, data_type: 'TYPE_INT32', dims: [16] });
  }
  return config;
}
export async function execute(requests) {
  if (${delayMs} > 0) await new Promise((r) => setTimeout(r, ${delayMs}));
  return requests.map(({ inputs }) => {
    const a = inputs.INPUT0.data, b = inputs.INPUT1.data;
    return { outputs: {
      OUTPUT0: { shape: [16], data: Int32Array.from(a, (x, i) => x ${op0} b[i]) },
      OUTPUT1: { shape: [16], data: Int32Array.from(a, (x, i) => x ${op1} b[i]) },
    } };
  });
}`;

/** An ensemble of one step over `step`; `versionPolicy` adds that config line. */
export const ensemble = (step: string, versionPolicy = '') => `platform: "ensemble"
max_batch_size: 0
${versionPolicy}
input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]
ensemble_scheduling {
  step [ {
    model_name: "${step}"
    model_version: -1
    input_map { key: "INPUT0" value: "INPUT0" }
    input_map { key: "INPUT1" value: "INPUT1" }
    output_map { key: "OUTPUT0" value: "OUTPUT0" }
    output_map { key: "OUTPUT1" value: "OUTPUT1" }
  } ]
}
`;
