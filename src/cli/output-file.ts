import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Why `file` (given with `flag`) cannot be written, checked before a long run rather than after
 * it; undefined when its directory exists and the file is not a directory.
 */
export function outputFileProblem(flag: string, file: string): string | undefined {
  const dir = dirname(resolve(file));
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return `cannot write ${flag} '${file}': ${dir} is not a directory`;
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) return `cannot write ${flag} '${file}': it is a directory`;
  return undefined;
}
