import { Agent, request } from 'node:http';
import type { Transport } from '../tools/perf/index.ts';

/**
 * A lean HTTP/1.1 client for the load generator: keep-alive sockets through node:http, so the
 * client's own cost stays small next to the server's (as with perf_analyzer's C++ client).
 */
export function nodeHttpTransport(maxSockets = 256): Transport {
  const agent = new Agent({ keepAlive: true, maxSockets });
  return (url, body, headers) =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.byteLength) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          const hl = res.headers['inference-header-content-length'];
          resolve({
            status: res.statusCode ?? 0,
            headerLength: typeof hl === 'string' ? hl : null,
            body: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
          });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
}
