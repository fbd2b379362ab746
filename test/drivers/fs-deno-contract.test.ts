/**
 * The repository-driver contract (driver-contract.ts), the same file the Node drivers run here,
 * run inside Deno against fsDeno: `deno test` with an import map that gives the file a small
 * vitest shim over Deno.test (deno/vitest-shim.ts; `expect` is vitest's own).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DENO, denoEnv, skipDeno } from '../helpers/deno.ts';

/** The title of every case in the contract, read from its source: none may go missing in Deno. */
const contractCases = [...readFileSync('test/drivers/driver-contract.ts', 'utf8').matchAll(/\bit\('([^']+)'/g)].map((m) => m[1]!);

describe.skipIf(skipDeno)('repository driver contract inside Deno', () => {
  it('every case of the contract passes for fsDeno under `deno test`', () => {
    const r = spawnSync(
      DENO,
      ['test', '-A', '--no-check', '--node-modules-dir=manual', '--import-map=test/drivers/deno/import-map.json', 'test/drivers/deno/fs-deno-contract.ts'],
      { encoding: 'utf8', env: denoEnv(), timeout: 60_000 },
    );
    const line = r.stdout.split('\n').find((l) => l.startsWith('DRIVER-CONTRACT '));
    expect(line, r.stdout + r.stderr).toBeDefined();
    const ran = JSON.parse(line!.slice('DRIVER-CONTRACT '.length)) as { passed: string[]; failed: string[]; skipped: string[] };
    expect({ status: r.status, failed: ran.failed, skipped: ran.skipped }, r.stdout + r.stderr).toEqual({ status: 0, failed: [], skipped: [] });
    expect(contractCases.length).toBeGreaterThanOrEqual(13);
    const title = (full: string) => full.split(' > ').at(-1);
    expect(ran.passed.map(title).sort()).toEqual([...contractCases].sort());
  }, 90_000);
});
