import { localHarness } from './backend-harness.ts';
import { backendContract } from './backend-contract.ts';
import { fakeSubject, NOT_AN_INTEGER } from './backend-subjects.ts';

// The contract against a backend written for it (fake-backend.ts): the suite itself, proved on
// an implementation small enough to read whole.
backendContract('fake (add/sub in plain JavaScript)', async () => localHarness(fakeSubject()), {
  autoComplete: true,
  bytes: true,
  badInput: NOT_AN_INTEGER("input 'INPUT0' holds 'twelve', which is not a decimal integer"),
  creation: 'concurrent',
  processExit: 'fake',
  device: 'js',
});
