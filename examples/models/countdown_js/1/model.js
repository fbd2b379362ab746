// A decoupled JavaScript model (model_transaction_policy { decoupled: true }): one request, many
// responses. For IN = n it sends n, n-1, ..., 0, one response per step, each as soon as it is ready;
// the last one is final. Streams (gRPC ModelStreamInfer, HTTP generate_stream) carry them.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Returns at once: each request's responses go out through its responseSender, also after this returns. */
export function execute(requests) {
  for (const request of requests) void countdown(request);
}

async function countdown(request) {
  const sender = request.responseSender;
  try {
    const n = request.inputs.IN.data[0];
    if (n < 0 || n > 1000) return sender.send({ error: `IN must be from 0 to 1000, got ${n}` }, { final: true });
    for (let i = n; i >= 0; i--) {
      await sender.send({ outputs: { OUT: { shape: [1], data: Int32Array.of(i) } } }, { final: i === 0 });
      if (i > 0) await sleep(10);
    }
  } catch (e) {
    await sender.send({ error: String(e) }, { final: true });
  }
}
