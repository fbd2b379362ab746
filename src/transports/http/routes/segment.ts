/** A path segment as a route parameter: percent-decoded, or as it is when that fails. */
export function segment(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
