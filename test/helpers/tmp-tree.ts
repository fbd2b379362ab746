import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type FileTree = Record<string, Uint8Array | string>;

/** Writes `files` (relative path → contents) under `root`. */
export function writeTree(root: string, files: FileTree): void {
  for (const [rel, data] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
}
