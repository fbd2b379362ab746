import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TEMP_VARS = ['TMPDIR', 'TMP', 'TEMP'] as const;

/**
 * Builds dist/ once so tests that start the real CLI run what users run, and gives the run a
 * private temp directory: TMPDIR (and TMP/TEMP) point into it for the test workers and every
 * process they start (servers, Deno, Chromium, npm). The teardown fails the run, listing them,
 * when anything is left in it: `npm test` must leave nothing behind in the system temp dir. A
 * private directory, not a before/after look at the shared one, so that other programs using
 * the temp dir at the same time are not counted.
 */
export default function setup(): () => void {
  execFileSync(process.execPath, ['build.mjs', '--quiet'], { stdio: 'inherit' });
  const saved = [...TEMP_VARS, 'ORT_DISABLE_TELEMETRY', 'NODE_DISABLE_COMPILE_CACHE'].map((k) => [k, process.env[k]] as const);
  const dir = mkdtempSync(join(tmpdir(), 'nereid-vitest-'));
  for (const k of TEMP_VARS) process.env[k] = dir;
  // Nereid turns onnxruntime's telemetry off (src/platform/ort/node/backend.ts; it writes `.ses` and
  // `mat-debug-<pid>.log` into the temp dir); tests that use onnxruntime-node directly need the same.
  // test/temp-cleanup.test.ts checks the server's own setting without this.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  // npm on Node 22+ keeps a `node-compile-cache` directory in the temp dir (its own cache, not
  // something a test made); the tests that run npm (`npm start`, `npm ci`) would otherwise leave it.
  process.env.NODE_DISABLE_COMPILE_CACHE ??= '1';
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    const left = readdirSync(dir).sort();
    rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) {
      process.exitCode = 1; // vitest reports an error thrown here but would still exit 0
      throw new Error(
        `the tests left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in the temp directory (removed now; each test must remove what it creates):\n  ${left.join('\n  ')}`,
      );
    }
  };
}
