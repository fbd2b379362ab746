import { createMD5 } from 'hash-wasm';

/** The digests the checksum repository agent accepts (Triton's agent knows MD5; Nereid adds SHA-256). */
export type DigestAlgorithm = 'MD5' | 'SHA256';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA256'];

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Lower-case hex digest of `data`. SHA-256 is WebCrypto's; MD5, which WebCrypto lacks, comes from
 * hash-wasm (its WebAssembly is compiled on first use, so servers without MD5 checksums never do).
 */
export async function hexDigest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<string> {
  if (algorithm === 'SHA256') return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>)));
  const md5 = await createMD5();
  md5.init();
  md5.update(data);
  return md5.digest('hex');
}
