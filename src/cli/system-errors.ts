// What the CLI tells a user when the system refuses something they asked for (a file that is not
// there, a directory given for a file, a server that does not answer): one line, no stack.

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
};

/** The system error code of `e` (Node and Deno both set `code`, e.g. ENOENT), if it has one. */
export function systemErrorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * "cannot read --input-data 'x.json': no such file or directory (ENOENT)" for a file-system error
 * (with the path it happened at when that is not in `what`); undefined when `e` is not one (a
 * bug, which keeps its stack).
 */
export function fileErrorLine(action: string, what: string, e: unknown): string | undefined {
  const code = systemErrorCode(e);
  if (code === undefined) return undefined;
  const path = (e as { path?: unknown }).path;
  const at = typeof path === 'string' && !what.includes(path) ? ` at '${path}'` : '';
  return `cannot ${action} ${what}: ${FILE_ERRORS[code] ?? (e as Error).message} (${code})${at}`;
}
