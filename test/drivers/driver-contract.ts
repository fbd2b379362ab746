/**
 * What every repository driver must do, written once and run against each (unstorage's
 * testDriver idea). The repository under test holds exactly `contractFiles()`.
 */
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RepositoryDriver } from '../../src/core/index.ts';
import { tmpTree } from '../helpers/tmp.ts';

export function contractFiles(): Record<string, string | Uint8Array> {
  return {
    'm/config.pbtxt': 'name: "m"\n',
    'm/1/model.onnx': new Uint8Array([1, 2, 3, 4, 5]),
    'm/1/sub/extra.bin': new Uint8Array(300).fill(7),
    'n/labels.txt': 'a\nb\n',
  };
}

const code = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code,
  );
const failure = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
  );

/** What a driver's storage can hold, declared by each caller: the cases of what it cannot hold do not apply to it. */
export interface ContractFeatures {
  /**
   * Symbolic links: a driver over the local directory `root`, whose tree the contract lays out
   * with links in it (ConfigMap `..data`, modelcar, model-cache blobs, dangling links, a loop).
   * False where the storage has no links (memory, http, indexeddb).
   */
  symlinks: false | ((root: string) => RepositoryDriver);
}

export function driverContract(name: string, make: () => Promise<RepositoryDriver> | RepositoryDriver, features: ContractFeatures): void {
  describe(`repository driver contract: ${name}`, () => {
    it('lists directories and files', async () => {
      const d = await make();
      const names = (entries: { name: string; kind: string }[]) => entries.map((e) => `${e.name}:${e.kind}`).sort();
      expect(names(await d.list(''))).toEqual(['m:dir', 'n:dir']);
      expect(names(await d.list('m'))).toEqual(['1:dir', 'config.pbtxt:file']);
      expect(names(await d.list('m/1'))).toEqual(['model.onnx:file', 'sub:dir']);
    });

    it('stats files and directories; missing paths are null', async () => {
      const d = await make();
      expect(await d.stat('m/1/model.onnx')).toMatchObject({ kind: 'file', size: 5 });
      expect(await d.stat('m/1/sub/extra.bin')).toMatchObject({ kind: 'file', size: 300 });
      expect(await d.stat('m/1')).toMatchObject({ kind: 'dir' });
      expect(await d.stat('m/2')).toBeNull();
      expect(await d.stat('nope.txt')).toBeNull();
    });

    it('reads bytes', async () => {
      const d = await make();
      expect(Array.from(await d.read('m/1/model.onnx'))).toEqual([1, 2, 3, 4, 5]);
      expect(new TextDecoder().decode(await d.read('n/labels.txt'))).toBe('a\nb\n');
      expect((await d.read('m/1/sub/extra.bin')).byteLength).toBe(300);
    });

    it('missing files and directories are NOT_FOUND', async () => {
      const d = await make();
      expect(await code(d.read('m/1/missing.onnx'))).toBe('NOT_FOUND');
      expect(await code(d.list('x'))).toBe('NOT_FOUND');
    });

    it('refuses paths that leave the repository', async () => {
      const d = await make();
      expect(await code(d.read('../etc/passwd'))).toBe('INVALID_ARG');
    });

    const linked = features.symlinks;
    if (linked)
      describe('symbolic links placed by the operator', () => {
        const links = symlinkTree();
        const d = () => linked(links.root);
        const bytes = async (p: string) => Array.from(await d().read(p));
        const names = async (dir: string) => (await d().list(dir)).map((e) => `${e.name}:${e.kind}`).sort();

        it('a repository root that is itself a link is followed', async () => {
          expect(await names('')).toEqual(['broken:dir', 'cached:dir', 'cm:dir', 'linked:dir', 'm:dir', 'n:dir']);
          expect(await bytes('m/1/model.onnx')).toEqual([1, 2, 3, 4, 5]);
        });

        it('a ConfigMap/Secret volume (links through ..data) is followed', async () => {
          expect(await names('cm')).toEqual(['..2024_05_01_10_00_00.123:dir', '..data:dir', '1:dir', 'config.pbtxt:file']);
          expect(new TextDecoder().decode(await d().read('cm/config.pbtxt'))).toBe('name: "cm"\n');
          expect(await names('cm/1')).toEqual(['model.onnx:file']);
          expect(await bytes('cm/1/model.onnx')).toEqual([7]);
          expect(await d().stat('cm/1')).toMatchObject({ kind: 'dir' });
        });

        it('a model directory that links outside the repository (KServe modelcar) is followed', async () => {
          expect(await names('linked/1')).toEqual(['model.onnx:file']);
          expect(await bytes('linked/1/model.onnx')).toEqual([9, 9, 9]);
          expect(await d().stat('linked/1/model.onnx')).toMatchObject({ kind: 'file', size: 3 });
          const local = d().localPath?.('linked/1/model.onnx');
          if (local !== undefined) expect(Array.from(readFileSync(local))).toEqual([9, 9, 9]);
        });

        it('a model file that links to a blob outside (a model cache) is followed', async () => {
          expect(await names('cached/1')).toEqual(['model.onnx:file']);
          expect(await bytes('cached/1/model.onnx')).toEqual([4, 2]);
          expect(await d().stat('cached/1/model.onnx')).toMatchObject({ kind: 'file', size: 2 });
        });

        it('a dangling link is listed as a file whose reading names the link and its target', async () => {
          const file = join(links.root, 'broken', '1', 'model.onnx');
          const why = `cannot read '${file}': it is a symbolic link to '${links.missingBlob}', which does not exist`;
          expect(await d().list('broken/1')).toEqual([{ name: 'model.onnx', kind: 'file', broken: why }]);
          expect(await failure(d().read('broken/1/model.onnx'))).toEqual({ code: 'INTERNAL', message: why });
          expect(await d().stat('broken/1/model.onnx')).toBeNull();
          const dir = join(links.root, 'broken', '2');
          expect(await failure(d().read('broken/2/model.onnx'))).toEqual({
            code: 'INTERNAL',
            message: `cannot read '${join(dir, 'model.onnx')}': '${dir}' is a symbolic link to '${links.missingDir}', which does not exist`,
          });
          expect(await failure(d().list('broken/2'))).toEqual({
            code: 'INTERNAL',
            message: `cannot list '${dir}': it is a symbolic link to '${links.missingDir}', which does not exist`,
          });
          expect(await code(d().read('broken/1/absent.onnx'))).toBe('NOT_FOUND');
        });

        it('a repository root that is a dangling link (a modelcar not yet started) says so', async () => {
          const root = join(links.root, 'broken', '2');
          const r = linked(root);
          expect(await failure(r.list(''))).toEqual({
            code: 'INTERNAL',
            message: `cannot list '${root}': it is a symbolic link to '${links.missingDir}', which does not exist`,
          });
          expect(await r.stat('')).toBeNull();
        });

        it('a link loop is listed with the OS reason, naming the link', async () => {
          const loop = (await d().list('broken')).find((e) => e.name === 'loop');
          expect(loop?.kind).toBe('file');
          expect(loop?.broken).toMatch(new RegExp(`^cannot read '${escapeRegExp(join(links.root, 'broken', 'loop'))}': .*(ELOOP|symbolic links)`, 'i'));
          const r = await failure(d().read('broken/loop'));
          expect(r).toMatchObject({ code: 'INTERNAL' });
          expect((r as { message: string }).message).toContain(join(links.root, 'broken', 'loop'));
        });

        it('a path from a request still cannot climb out through a link', async () => {
          expect(await code(d().read('linked/../../outside/model/config.pbtxt'))).toBe('INVALID_ARG');
          expect(await code(d().list('cm/..data/..'))).toBe('INVALID_ARG');
        });
      });
  });
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A repository reached through a link (`root`), holding contractFiles() plus links the way
 * deployments place them: a ConfigMap volume (`cm`), a modelcar-style model directory link
 * (`linked`), a model-cache file link to a blob (`cached`), and broken links.
 */
function symlinkTree(): { root: string; missingBlob: string; missingDir: string } {
  const sandbox = tmpTree({
    'outside/model/config.pbtxt': 'name: "linked"\n',
    'outside/model/1/model.onnx': new Uint8Array([9, 9, 9]),
    'blobs/sha256-4a2': new Uint8Array([4, 2]),
    'repo/cm/..2024_05_01_10_00_00.123/config.pbtxt': 'name: "cm"\n',
    'repo/cm/..2024_05_01_10_00_00.123/1/model.onnx': new Uint8Array([7]),
    ...Object.fromEntries(Object.entries(contractFiles()).map(([p, v]) => [`repo/${p}`, v])),
  });
  const repo = join(sandbox, 'repo');
  for (const dir of ['cached/1', 'broken/1']) mkdirSync(join(repo, dir), { recursive: true });
  symlinkSync('..2024_05_01_10_00_00.123', join(repo, 'cm', '..data'));
  symlinkSync(join('..data', 'config.pbtxt'), join(repo, 'cm', 'config.pbtxt'));
  symlinkSync(join('..data', '1'), join(repo, 'cm', '1'));
  symlinkSync(join(sandbox, 'outside', 'model'), join(repo, 'linked'));
  symlinkSync(join('..', '..', '..', 'blobs', 'sha256-4a2'), join(repo, 'cached', '1', 'model.onnx'));
  const missingBlob = join(sandbox, 'blobs', 'missing');
  const missingDir = join(sandbox, 'outside', 'gone');
  symlinkSync(missingBlob, join(repo, 'broken', '1', 'model.onnx'));
  symlinkSync(missingDir, join(repo, 'broken', '2'));
  symlinkSync('loop', join(repo, 'broken', 'loop'));
  const root = join(sandbox, 'root');
  symlinkSync(repo, root);
  return { root, missingBlob, missingDir };
}
