import { localHarness } from './backend-harness.ts';
import { backendContract } from './backend-contract.ts';
import { NOT_UTF8, ortWebNodeSubject } from './backend-subjects.ts';

// onnxruntime-web's WASM build under Node: what `--execution-provider wasm` (or a model's
// execution_provider parameter) runs on, next to onnxruntime-node.
backendContract('onnxruntime-web under Node (wasm)', async () => localHarness(ortWebNodeSubject()), {
  autoComplete: true,
  bytes: true,
  badInput: NOT_UTF8,
  creation: 'serial',
  processExit: 'ort-web-node',
  device: 'wasm',
});
