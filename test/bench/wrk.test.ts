// The benchmark's wrk driver against real wrk and a real HTTP server: the generated Lua script
// sends the exact bytes and headers, done() reports what wrk counted, errors are counted.
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runWrk, wrkScript, wrkThreads, wrkVersion, writeScript } from '../../bench/wrk.ts';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

describe('wrk driver', () => {
  it('finds wrk, and says so when the binary is missing', () => {
    expect(wrkVersion()).toMatch(/^wrk \S+/);
    expect(wrkVersion('/nonexistent/wrk')).toBeUndefined();
  });

  it('sends every byte value and the headers unchanged, and counts what the server answered', async () => {
    // A JSON header followed by all 256 byte values (quotes, backslashes, NUL, CR, LF, digits after escapes).
    const head = Buffer.from('{"inputs":[{"name":"IN\\\\0","shape":[1,256]}]}');
    const bytes = Buffer.concat([head, Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('0123"\\\n')]);
    let good = 0;
    let bad = 0;
    const url = await serve((req, body, res) => {
      const ok =
        req.method === 'POST' &&
        req.url === '/v2/models/m/versions/1/infer' &&
        req.headers['inference-header-content-length'] === String(head.byteLength) &&
        req.headers['content-type'] === 'application/octet-stream' &&
        body.equals(bytes);
      if (ok) good++;
      else bad++;
      res.writeHead(ok ? 200 : 400).end('x');
    });
    const script = writeScript({
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(head.byteLength) },
      body: bytes,
    });
    try {
      const r = await runWrk({ url: `${url}/v2/models/m/versions/1/infer`, script: script.path, threads: 1, connections: 2, seconds: 1 });
      expect(bad).toBe(0);
      expect(r.errors).toBe(0);
      expect(r.requests).toBeGreaterThan(0);
      // wrk counts responses received within the window; the server may have answered a last one or two after it.
      expect(good).toBeGreaterThanOrEqual(r.requests);
      expect(good).toBeLessThanOrEqual(r.requests + 2);
      expect(r.throughput).toBeCloseTo(r.requests / r.seconds, 6);
      expect(r.seconds).toBeGreaterThan(0.9);
      expect(r.p50Us).toBeGreaterThan(0);
      expect(r.p90Us).toBeGreaterThanOrEqual(r.p50Us);
      expect(r.p99Us).toBeGreaterThanOrEqual(r.p90Us);
    } finally {
      script.remove();
    }
  });

  it('counts responses with status >= 400 as errors, summed over wrk threads', async () => {
    let n = 0;
    let failed = 0;
    const url = await serve((_req, _body, res) => {
      const fail = n++ % 3 === 0;
      if (fail) failed++;
      res.writeHead(fail ? 503 : 200).end();
    });
    const script = writeScript({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: new TextEncoder().encode('{"inputs":[]}') });
    try {
      const r = await runWrk({ url, script: script.path, threads: 2, connections: 2, seconds: 1 });
      expect(r.requests).toBeGreaterThan(10);
      // The server's own count of failures, less those answered after the window (at most one per connection).
      expect(r.errors).toBeLessThanOrEqual(failed);
      expect(r.errors).toBeGreaterThanOrEqual(failed - 2);
      expect(r.errors).toBeGreaterThan(0);
    } finally {
      script.remove();
    }
  });

  it('writes a script whose strings are Lua-escaped', () => {
    const s = wrkScript({ method: 'POST', headers: { 'X-A': 'q"\\' }, body: new Uint8Array([0, 9, 65, 34, 92, 49, 255]) });
    expect(s).toContain('wrk.headers["X-A"] = "q\\034\\092"');
    expect(s).toContain('wrk.body = "\\000\\009A\\034\\0921\\255"');
    // Lua's parser agrees, where a Lua interpreter is installed (wrk itself is checked above).
    const lua = ['luajit', 'lua5.4', 'lua5.3', 'lua5.1', 'lua'].find((b) => !spawnSync(b, ['-v']).error);
    if (lua) {
      const r = spawnSync(lua, ['-e', 'local s = "\\000\\009A\\034\\0921\\255"; io.write(#s, ":", s:byte(1, -1))'], { encoding: 'utf8' });
      expect(r.stdout).toBe('7:0965349249255');
    }
  });

  it('gives wrk one thread per four cores, dividing the connections', () => {
    expect([1, 4, 16, 64].map((c) => wrkThreads(c, 2))).toEqual([1, 1, 1, 1]);
    expect([1, 4, 16, 64].map((c) => wrkThreads(c, 8))).toEqual([1, 2, 2, 2]);
    expect([1, 4, 16, 64].map((c) => wrkThreads(c, 16))).toEqual([1, 4, 4, 4]);
    expect(wrkThreads(6, 32)).toBe(2);
  });
});
