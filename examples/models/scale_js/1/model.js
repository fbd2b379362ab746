// A JavaScript model (backend "js"): ES module run in its own worker thread.
let factor = 1;

/** Called once per instance with the model's completed config (Triton's JSON form). */
export function initialize(args) {
  factor = Number(args.model_config.parameters.factor?.string_value ?? 1);
}

/** One call may carry several requests (dynamic batching); return one response per request. */
export function execute(requests) {
  return requests.map((request) => {
    const x = request.inputs.INPUT0; // { datatype, shape, data: Float32Array }
    return { outputs: { OUTPUT0: { shape: x.shape, data: x.data.map((v) => v * factor) } } };
  });
}

export function finalize() {}
