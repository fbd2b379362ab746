import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpTree } from './helpers/tmp.ts';

interface LockEntry {
  optionalDependencies?: Record<string, string>;
  hasInstallScript?: boolean;
}
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockEntry> };
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  scripts: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};

/** The lock path npm resolves `name` to from the package at `from` (nested first, then hoisted). */
function resolved(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const p = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (lock.packages[p]) return p;
    if (!dir) return undefined;
  }
}

/** npm without the `npm_config_*` settings of an enclosing `npm test`, so it reads only the project's. */
function npm(args: string[], cwd: string) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
}

describe('installing the project (npm ci on a fresh clone)', () => {
  it("the lock records every platform's optional packages, not only this machine's", () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        if (!resolved(path, name)) missing.push(`${name} (optional dependency of ${path || 'the project'})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every dependency with an install script is either allowed or denied in package.json allowScripts', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([, e]) => e.hasInstallScript)
      .map(([p]) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    const policy = Object.keys(pkg.allowScripts ?? {});
    expect(withScripts.filter((n) => !policy.includes(n))).toEqual([]);
  });

  it('npm ci accepts the lock as it is and prints no warning', () => {
    // The project's own manifests in an empty directory; `prepare` (which builds dist/ from src/) is
    // left out because the sources are not copied. --dry-run resolves and checks everything npm ci
    // does (lock in sync, config, install-script policy) without writing node_modules.
    const dir = tmpTree({}, 'nereid-install-');
    const { prepare: _prepare, ...scripts } = pkg.scripts;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, scripts }, null, 2));
    writeFileSync(join(dir, 'package-lock.json'), readFileSync('package-lock.json'));
    if (existsSync('.npmrc')) writeFileSync(join(dir, '.npmrc'), readFileSync('.npmrc'));
    const r = npm(['ci', '--dry-run', '--offline', '--no-audit', '--no-fund'], dir);
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output).toBe(0);
    expect(output).toMatch(/added \d+ packages/);
    expect(output.split('\n').filter((l) => /^npm (warn|error)/i.test(l))).toEqual([]);
  });
});
