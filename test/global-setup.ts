import { execFileSync } from 'node:child_process';

/** Builds dist/ once so tests that start the real CLI run what users run. */
export default function setup(): void {
  execFileSync(process.execPath, ['build.mjs', '--quiet'], { stdio: 'inherit' });
}
