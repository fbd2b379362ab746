// The limit: in-process onnxruntime-node session.run throughput at several batch sizes.
// Usage: node --import tsx bench/limit.ts MODEL.onnx INPUTS_JSON BATCHES MS  → prints JSON results.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';

const [file, inputsJson, batchesArg, msArg] = process.argv.slice(2);
const inputs = JSON.parse(inputsJson!) as { name: string; dims: number[] }[];
const batches = batchesArg!.split(',').map(Number);
const ms = Number(msArg);
const session = await ort.InferenceSession.create(readFileSync(file!), {
  executionProviders: ['cpu'],
  intraOpNumThreads: availableParallelism(),
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
});
const results: { batch: number; runsPerSec: number; rowsPerSec: number; msPerRun: number }[] = [];
for (const batch of batches) {
  const feeds: Record<string, ort.Tensor> = {};
  for (const i of inputs) {
    const n = batch * i.dims.reduce((a, b) => a * b, 1);
    feeds[i.name] = new ort.Tensor(
      'float32',
      Float32Array.from({ length: n }, () => Math.random()),
      [batch, ...i.dims],
    );
  }
  for (let w = 0; w < 5; w++) await session.run(feeds);
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await session.run(feeds);
    runs++;
  }
  const secs = (performance.now() - t0) / 1000;
  results.push({ batch, runsPerSec: runs / secs, rowsPerSec: (runs * batch) / secs, msPerRun: (secs * 1000) / runs });
}
console.log(JSON.stringify(results));
