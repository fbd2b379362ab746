/** Node can share a port between threads (SO_REUSEPORT) from 22.12 on. */
export function nodeSharesPorts(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}
