import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { type FileTree, writeTree } from './tmp-tree.ts';

export { type FileTree, writeTree } from './tmp-tree.ts';

/** A temporary directory holding `files`, removed after the test file's tests. */
export function tmpTree(files: FileTree = {}, prefix = 'nereid-test-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  writeTree(root, files);
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return root;
}
