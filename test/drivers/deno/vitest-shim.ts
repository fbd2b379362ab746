/**
 * The part of vitest's API that test/drivers/driver-contract.ts and test/helpers/tmp.ts use,
 * on `Deno.test`, so that the same contract file runs under `deno test` (the import map next to
 * this file maps `vitest` here). `expect` is vitest's own. Each case is one Deno test named
 * "describe > ... > it"; what ran is printed at the end as one JSON line for the vitest side.
 */
export { expect } from 'vitest';

interface DenoTestApi {
  test(t: { name: string; ignore?: boolean; sanitizeOps?: boolean; sanitizeResources?: boolean; fn(): Promise<void> }): void;
}
declare const Deno: DenoTestApi;

type Body = () => unknown;
const path: string[] = [];
let skipping = false;
const hooks: Body[] = [];
const outcome = { passed: [] as string[], failed: [] as string[], skipped: [] as string[] };

export function describe(name: string, body: () => void): void {
  path.push(name);
  try {
    body();
  } finally {
    path.pop();
  }
}

/** As vitest: the cases inside are collected, and reported as skipped. */
describe.skipIf = (condition: unknown) => (name: string, body: () => void) => {
  const was = skipping;
  skipping ||= Boolean(condition);
  try {
    describe(name, body);
  } finally {
    skipping = was;
  }
};

export function it(name: string, body: Body): void {
  const full = [...path, name].join(' > ');
  if (skipping) {
    outcome.skipped.push(full);
    Deno.test({ name: full, ignore: true, fn: async () => {} });
    return;
  }
  Deno.test({
    name: full,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      try {
        await body();
        outcome.passed.push(full);
      } catch (e) {
        outcome.failed.push(full);
        throw e;
      }
    },
  });
}

/** Runs when the test module unloads, after its tests (synchronous hooks only, as tmp.ts's is). */
export function afterAll(hook: Body): void {
  hooks.push(hook);
}

globalThis.addEventListener('unload', () => {
  for (const hook of hooks.splice(0)) hook();
  console.log(`DRIVER-CONTRACT ${JSON.stringify(outcome)}`);
});
