/**
 * `tsx test/contract/backend-exit.ts SUBJECT`: uses one backend of backend-subjects.ts in a fresh
 * process the way a server does (a model loaded, served and unloaded twice) and prints, as one
 * JSON line, the outputs of its runs and the process's OS thread counts. It never calls
 * process.exit: the contract checks that the process ends by itself once everything is disposed.
 */
import { existsSync, readdirSync } from 'node:fs';
import { localHarness, type PlainRequest, WIDTH } from './backend-harness.ts';
import { NODE_SUBJECTS } from './backend-subjects.ts';

const name = process.argv[2] ?? '';
const make = NODE_SUBJECTS[name];
if (!make) throw new Error(`unknown subject '${name}'; one of ${Object.keys(NODE_SUBJECTS).join(', ')}`);

/** Threads of this process as the OS sees them (Linux); undefined elsewhere. */
const threads = () => (existsSync('/proc/self/task') ? readdirSync('/proc/self/task').length : undefined);

const row = (f: (i: number) => number) => Array.from({ length: WIDTH }, (_, i) => f(i));
const request: PlainRequest = {
  inputs: {
    INPUT0: { datatype: 'FP32', shape: [1, WIDTH], data: row((i) => i / 4) },
    INPUT1: { datatype: 'FP32', shape: [1, WIDTH], data: row((i) => 3 - i) },
  },
  outputs: ['OUTPUT0', 'OUTPUT1'],
};

/** Loads the model with `instances` instances, runs each, unloads; returns the outputs and the threads while loaded. */
async function cycle(instances: number) {
  const h = localHarness(make!());
  const { ids } = await h.open('addsub', { instances });
  const replies = await Promise.all(ids.map((id) => h.execute(id, [request])));
  const loaded = threads();
  for (const id of ids) await h.dispose(id);
  const afterDispose = await h.execute(ids[0]!, [request]);
  await h.close();
  return { replies, loaded, afterDispose };
}

// The first cycle starts what a runtime keeps for the process (a WASM module, a thread pool);
// the second must leave no more threads than there were before it.
await cycle(1);
const before = threads();
const second = await cycle(2);
console.log(JSON.stringify({ ...second, threads: { before, loaded: second.loaded, after: threads() } }));
