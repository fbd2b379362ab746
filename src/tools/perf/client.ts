/** How HTTP inference requests travel: `fetch` by default; a platform may pass a leaner one. */
export type Transport = (
  url: string,
  body: Uint8Array,
  headers: Record<string, string>,
) => Promise<{ status: number; headerLength: string | null; body: Uint8Array }>;

/**
 * One line for a request that reached no server: `fetch` puts the socket error in `cause`
 * (ECONNREFUSED, ENOTFOUND, ...), e.g. "cannot connect to localhost:8000 (ECONNREFUSED): is the
 * server running?".
 */
export function connectFailure(url: string, e: unknown): string {
  const codeOf = (x: unknown) => {
    const code = (x as { code?: unknown } | null)?.code;
    return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
  };
  const cause = (e as { cause?: unknown } | null)?.cause;
  const why = codeOf(cause) ?? codeOf(e) ?? ((cause as Error | undefined)?.message || (e as Error).message);
  return `cannot connect to ${new URL(url).host} (${why}): is the server running?`;
}

export const fetchTransport: Transport = async (url, body, headers) => {
  const res = await fetch(url, { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers });
  return { status: res.status, headerLength: res.headers.get('inference-header-content-length'), body: new Uint8Array(await res.arrayBuffer()) };
};
