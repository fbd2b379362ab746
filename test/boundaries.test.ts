import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpTree } from './helpers/tmp.ts';

const check = (dir?: string) => spawnSync(process.execPath, ['scripts/check-boundaries.mjs', ...(dir ? [dir] : [])], { encoding: 'utf8' });

describe('src/core stays platform-free', () => {
  it('passes on the real core', () => {
    const r = check();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails on a platform import or a Node global', () => {
    const bad = tmpTree({
      'a.ts': "import { readFile } from 'node:fs/promises';\nexport const x = readFile;\n",
      'b.ts': 'export const y = process.env.HOME;\n',
      'c.ts': "import * as ort from 'onnxruntime-node';\nexport { ort };\n",
    });
    const r = check(bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("a.ts: imports 'node:fs/promises'");
    expect(r.stderr).toContain("b.ts: uses 'process.env'");
    expect(r.stderr).toContain("c.ts: imports 'onnxruntime-node'");
  });
});

describe('the core type-checks without Node types (tsconfig.core.json)', () => {
  const tsc = (project: string) => spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project, '--noEmit'], { encoding: 'utf8' });

  it('passes on the real core', () => {
    const r = tsc('tsconfig.core.json');
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('a Node import or global in core code is a compile error', () => {
    const dir = tmpTree({ 'bad.ts': "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\nexport const y = process.env;\n" });
    const config = join(dir, 'tsconfig.json');
    const base = resolve('tsconfig.core.json');
    writeFileSync(config, JSON.stringify({ extends: base, include: [join(dir, 'bad.ts')] }));
    const r = tsc(config);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain("Cannot find name 'node:fs'");
    expect(r.stdout).toContain("Cannot find name 'process'");
  }, 120_000);
});
