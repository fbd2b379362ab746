import { localHarness } from './backend-harness.ts';
import { backendContract } from './backend-contract.ts';
import { jsNodeSubject, NOT_AN_INTEGER } from './backend-subjects.ts';

// The JavaScript backend on Node: each instance a worker thread running the model's model.js
// (backend-subjects.ts has the contract's models written as model.js files).
backendContract('JavaScript backend (model.js in worker threads)', async () => localHarness(jsNodeSubject()), {
  autoComplete: true,
  bytes: true,
  badInput: NOT_AN_INTEGER(/^model 'strings_\d+' failed: 'twelve' is not a decimal integer$/),
  creation: 'concurrent',
  processExit: 'js',
  device: 'js-worker',
});
