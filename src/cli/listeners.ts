// The serve command's listeners (HTTP, metrics) and what a user is told when one cannot be opened.

/** A listener `serve` opens, with the flags that chose its port and address. */
export interface ListenerSpec {
  portFlag: string;
  port: number;
  addressFlag: string;
  address: string;
}

/** A port held open for a moment to check that the real listener will get it. */
export interface HeldPort {
  close(): Promise<void>;
}

/**
 * One line for a listener that could not be opened (the port taken, privileged or the address not
 * this machine's), naming the flag; undefined for errors without a system error code (bugs).
 */
export function listenFailure(l: ListenerSpec, e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  switch (code) {
    case 'EADDRINUSE':
      return `${l.portFlag} ${l.port} is already in use (EADDRINUSE); choose another port or stop the process using it`;
    case 'EACCES':
      return `${l.portFlag} ${l.port} is not allowed for this user (EACCES); ports below 1024 need privileges, choose another port`;
    case 'EADDRNOTAVAIL':
      return `${l.addressFlag} ${l.address} is not an address of this machine (EADDRNOTAVAIL)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `${l.addressFlag} ${l.address} cannot be resolved to an address (${code})`;
    default:
      return `cannot listen on ${l.address}:${l.port} (${l.portFlag}): ${(e as Error).message}`;
  }
}

/**
 * Opens every listener's port on its address (port 0 too: that checks the address), all at once
 * so that two flags naming the same port collide as the real listeners would, then closes them.
 * Resolves with the line for the first that failed, or undefined when all are free.
 */
export async function checkPorts(listeners: readonly ListenerSpec[], hold: (port: number, address: string) => Promise<HeldPort>): Promise<string | undefined> {
  const held: HeldPort[] = [];
  try {
    for (const l of listeners) {
      try {
        held.push(await hold(l.port, l.address));
      } catch (e) {
        const line = listenFailure(l, e);
        if (line === undefined) throw e;
        return line;
      }
    }
    return undefined;
  } finally {
    await Promise.all(held.map((h) => h.close()));
  }
}
