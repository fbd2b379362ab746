/**
 * The base URL for a `-u` flag: `HOST:PORT` (http:// is implied) or an http(s) URL; undefined
 * when the text is neither (the CLI reports it as a usage error).
 */
export function serverUrl(text: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  try {
    const u = new URL(withScheme);
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') return undefined;
    return withScheme.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}
