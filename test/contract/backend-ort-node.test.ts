import { localHarness } from './backend-harness.ts';
import { type BackendFeatures, backendContract } from './backend-contract.ts';
import { NOT_UTF8, ortNodeSubject } from './backend-subjects.ts';

// onnxruntime-node, with each instance's session on the JavaScript thread or in a thread of its
// own (config parameter execution_thread; `auto` picks one of these two at load).
const features = (thread: 'main' | 'worker'): BackendFeatures => ({
  autoComplete: true,
  bytes: true,
  badInput: NOT_UTF8,
  creation: 'concurrent',
  processExit: `ort-node-${thread}`,
  device: 'cpu',
});

backendContract('onnxruntime-node on the JavaScript thread (execution_thread main)', async () => localHarness(ortNodeSubject('main')), features('main'));
backendContract('onnxruntime-node in a thread per instance (execution_thread worker)', async () => localHarness(ortNodeSubject('worker')), features('worker'));
