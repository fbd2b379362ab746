import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { type FileTree, writeTree } from './tmp-tree.ts';

export { type FileTree, writeTree } from './tmp-tree.ts';

// Registered when a test file imports this module (collection time), so it runs after that
// file's tests wherever tmpTree was called: a hook registered from inside a running test or
// beforeAll would be ignored, and the directory left behind.
const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temporary directory holding `files`, removed after the test file's tests (wherever it is called). */
export function tmpTree(files: FileTree = {}, prefix = 'nereid-test-'): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  created.push(root);
  writeTree(root, files);
  return root;
}
