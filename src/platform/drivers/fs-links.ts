/**
 * What the file-system drivers (fsNode, fsDeno) say about paths they cannot reach: a symbolic
 * link whose target does not exist is named with its target, and an OS error keeps its reason.
 */

/** The three look-ups the explanation needs, each answering null/false instead of throwing. */
export interface LinkProbe {
  /** Whether `path` itself is a symbolic link; null when nothing is there (or it cannot be looked at). */
  isLink(path: string): Promise<boolean | null>;
  /** Whether `path` leads to something, links followed. */
  reaches(path: string): Promise<boolean>;
  /** The target a link holds, as written in it. */
  readLink(path: string): Promise<string>;
}

/**
 * Why `target` (under `root`, `segments` below it) is missing when a symbolic link on the way is
 * dangling: "it is a symbolic link to 'X', which does not exist", or "'P' is a symbolic link to 'X',
 * which does not exist" for a link above it. Undefined when a name is simply absent.
 */
export async function danglingLink(probe: LinkProbe, root: string, segments: string[], sep: string): Promise<string | undefined> {
  const chain = [root];
  for (const s of segments) chain.push(`${chain[chain.length - 1]}${chain[chain.length - 1]!.endsWith(sep) ? '' : sep}${s}`);
  const target = chain[chain.length - 1]!;
  for (const p of chain) {
    const link = await probe.isLink(p);
    if (link === null) return undefined;
    if (link && !(await probe.reaches(p))) {
      const to = await probe.readLink(p).catch(() => '?');
      return `${p === target ? 'it' : `'${p}'`} is a symbolic link to '${to}', which does not exist`;
    }
  }
  return undefined;
}

/**
 * An OS error's reason without the path the runtime appends (the caller names the path):
 * Node's "ELOOP: too many symbolic links encountered, open '/x'" and Deno's
 * "Permission denied (os error 13): readfile '/x'" lose their last part.
 */
export function osReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/(,|:) [a-z]+ '[^']*'( -> '[^']*')?$/, '');
}

/** The reason of a link the driver refuses to follow (a directory the server writes into). */
export const refusedLink = (dir: string): string => `it is a symbolic link, and links are not followed in '${dir}'`;
