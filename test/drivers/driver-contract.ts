/**
 * What every repository driver must do, written once and run against each (unstorage's
 * testDriver idea). The repository under test holds exactly `contractFiles()`.
 */
import { describe, expect, it } from 'vitest';
import type { RepositoryDriver } from '../../src/core/index.ts';

export function contractFiles(): Record<string, string | Uint8Array> {
  return {
    'm/config.pbtxt': 'name: "m"\n',
    'm/1/model.onnx': new Uint8Array([1, 2, 3, 4, 5]),
    'm/1/sub/extra.bin': new Uint8Array(300).fill(7),
    'n/labels.txt': 'a\nb\n',
  };
}

const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string }) => e.code);

export function driverContract(name: string, make: () => Promise<RepositoryDriver> | RepositoryDriver): void {
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
  });
}
