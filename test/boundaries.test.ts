import { spawnSync } from 'node:child_process';
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
      'b.ts': "export const y = process.env.HOME;\n",
      'c.ts': "import * as ort from 'onnxruntime-node';\nexport { ort };\n",
    });
    const r = check(bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("a.ts: imports 'node:fs/promises'");
    expect(r.stderr).toContain("b.ts: uses 'process.env'");
    expect(r.stderr).toContain("c.ts: imports 'onnxruntime-node'");
  });
});
