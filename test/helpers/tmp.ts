import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

export type FileTree = Record<string, Uint8Array | string>;

/** Writes `files` (relative path → contents) under `root`. */
export function writeTree(root: string, files: FileTree): void {
  for (const [rel, data] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
}

/** A temporary directory holding `files`, removed after the test file's tests. */
export function tmpTree(files: FileTree = {}, prefix = 'nereid-test-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  writeTree(root, files);
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return root;
}
