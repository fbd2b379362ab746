import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RepositoryDriver } from '../../src/core/index.ts';
import { fsNode } from '../../src/platform/drivers/fs-node.ts';
import { overrideStore } from '../../src/platform/node/index.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * `followLinks: false`, the driver of the private directory where `file:` overrides are written:
 * a link planted in it is never followed, for reading or for writing.
 */
const failure = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
  );
const enc = (s: string) => new TextEncoder().encode(s);

/** A private directory `dir` holding `a/1/model.onnx`, with links to `outside` planted in it. */
function planted(): { dir: string; outside: string } {
  const sandbox = tmpTree({ 'outside/victim.txt': 'original', 'private/a/1/model.onnx': 'onnx' });
  const dir = join(sandbox, 'private');
  const outside = join(sandbox, 'outside');
  symlinkSync(outside, join(dir, 'trap'));
  symlinkSync(join(outside, 'victim.txt'), join(dir, 'a', '1', 'victim.txt'));
  return { dir, outside };
}

function refusesLinks(make: (dir: string) => RepositoryDriver) {
  it('never writes through a planted link, and writes nothing outside', async () => {
    const { dir, outside } = planted();
    const d = make(dir);
    expect(await failure(d.write!('trap/1/model.onnx', enc('evil')))).toEqual({
      code: 'INTERNAL',
      message: `cannot write '${join(dir, 'trap', '1', 'model.onnx')}': '${join(dir, 'trap')}' is a symbolic link, and links are not followed in '${dir}'`,
    });
    expect(await failure(d.write!('a/1/victim.txt', enc('evil')))).toEqual({
      code: 'INTERNAL',
      message: `cannot write '${join(dir, 'a', '1', 'victim.txt')}': it is a symbolic link, and links are not followed in '${dir}'`,
    });
    expect(readdirSync(outside)).toEqual(['victim.txt']);
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('original');
    expect(lstatSync(join(dir, 'a', '1', 'victim.txt')).isSymbolicLink()).toBe(true);
    await d.write!('a/1/model.onnx', enc('new'));
    await d.write!('b/2/sub/x.bin', enc('x'));
    expect(readFileSync(join(dir, 'a', '1', 'model.onnx'), 'utf8')).toBe('new');
    expect(readFileSync(join(dir, 'b', '2', 'sub', 'x.bin'), 'utf8')).toBe('x');
  });

  it('never reads through a planted link: listed as broken, read/stat/list refuse it', async () => {
    const { dir } = planted();
    const d = make(dir);
    const refused = (verb: string, p: string) => `cannot ${verb} '${join(dir, p)}': it leads through a symbolic link, and links are not followed in '${dir}'`;
    expect((await d.list('a/1')).sort((x, y) => (x.name < y.name ? -1 : 1))).toEqual([
      { name: 'model.onnx', kind: 'file' },
      {
        name: 'victim.txt',
        kind: 'file',
        broken: `cannot read '${join(dir, 'a', '1', 'victim.txt')}': it is a symbolic link, and links are not followed in '${dir}'`,
      },
    ]);
    expect(await failure(d.read('a/1/victim.txt'))).toEqual({ code: 'INTERNAL', message: refused('read', 'a/1/victim.txt') });
    expect(await failure(d.read('trap/victim.txt'))).toEqual({ code: 'INTERNAL', message: refused('read', 'trap/victim.txt') });
    expect(await failure(d.list('trap'))).toEqual({ code: 'INTERNAL', message: refused('list', 'trap') });
    expect(await failure(d.stat('trap/victim.txt'))).toEqual({ code: 'INTERNAL', message: refused('access', 'trap/victim.txt') });
    expect(d.localPath?.('trap/victim.txt')).toBeUndefined();
    expect(d.localPath?.('a/1/model.onnx')).toBe(join(dir, 'a', '1', 'model.onnx'));
    expect(new TextDecoder().decode(await d.read('a/1/model.onnx'))).toBe('onnx');
  });

  it('removing removes links themselves, never what they lead to', async () => {
    const { dir, outside } = planted();
    const d = make(dir);
    expect(await failure(d.remove!('trap/victim.txt'))).toMatchObject({ code: 'INTERNAL' });
    await d.remove!('');
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('original');
  });
}

describe('fsNode({ followLinks: false })', () => {
  refusesLinks((dir) => fsNode({ root: dir, followLinks: false }));
});

describe('overrideStore(): where the Node server writes file: overrides', () => {
  it('is a new directory under the parent each time, and refuses links planted in it', async () => {
    const parent = tmpTree();
    const a = await overrideStore(parent);
    const b = await overrideStore(parent);
    const dirs = readdirSync(parent)
      .map((n) => join(parent, n))
      .sort();
    expect(dirs).toHaveLength(2);
    expect(dirs.every((p) => /nereid-override-/.test(p))).toBe(true);
    const dir = a.localPath!('')!;
    expect(dirs).toContain(dir);
    expect(b.localPath!('')).not.toBe(dir);
    const outside = tmpTree({ 'victim.txt': 'original' });
    symlinkSync(outside, join(dir, 'm'));
    expect(await failure(a.write!('m/1/model.onnx', enc('evil')))).toMatchObject({ code: 'INTERNAL' });
    expect(readdirSync(outside)).toEqual(['victim.txt']);
    mkdirSync(join(dir, 'n'));
    writeFileSync(join(dir, 'n', 'ok'), 'ok');
    symlinkSync(join(outside, 'victim.txt'), join(dir, 'n', 'config.pbtxt'));
    expect(await failure(a.read('n/config.pbtxt'))).toMatchObject({ code: 'INTERNAL' });
    expect(await failure(a.write!('n/config.pbtxt', enc('evil')))).toMatchObject({ code: 'INTERNAL' });
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('original');
  });
});
