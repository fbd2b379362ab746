// wrk, the HTTP load generator the field uses, driven from a generated Lua script: the request
// (method, headers, body as a Lua string), errors counted in response(), and one JSON line from
// done() with wrk's own latency percentiles.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The wrk binary: `WRK` when set (a build of its own), else `wrk` on the PATH. */
export const WRK = process.env.WRK || 'wrk';

/** wrk's version line ("wrk debian/4.1.0-3+b2 [epoll] ..."), or undefined when there is no wrk to run. */
export function wrkVersion(bin = WRK): string | undefined {
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  if (r.error) return undefined;
  const line = `${r.stdout}${r.stderr}`.split('\n').find((l) => /^wrk /.test(l));
  return line?.replace(/\s*Copyright.*$/, '').trim();
}

/** The bytes as the body of a Lua string literal: printable ASCII as is, every other byte (and `"`, `\`) as `\ddd`. */
export function luaString(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  return `"${out}"`;
}

export interface WrkRequest {
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: Uint8Array;
}

const MARK = 'WRK_RESULT ';

/**
 * The script: the request, a per-thread count of responses with status ≥ 400 (response() runs in
 * each thread's own Lua state; done() sums them through the threads kept by setup()), and a
 * done() that prints one line: MARK followed by JSON.
 */
export function wrkScript(req: WrkRequest): string {
  const lines = [`wrk.method = "${req.method}"`];
  for (const [k, v] of Object.entries(req.headers))
    lines.push(`wrk.headers[${luaString(new TextEncoder().encode(k))}] = ${luaString(new TextEncoder().encode(v))}`);
  if (req.body) lines.push(`wrk.body = ${luaString(req.body)}`);
  lines.push(
    'local threads = {}',
    'function setup(thread) table.insert(threads, thread) end',
    'function init(args) failed = 0 end',
    'function response(status, headers, body) if status >= 400 then failed = failed + 1 end end',
    'function done(summary, latency, requests)',
    '  local failed = 0',
    '  for _, t in ipairs(threads) do failed = failed + t:get("failed") end',
    '  local e = summary.errors',
    `  io.write(string.format('${MARK}{"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f}\\n',`,
    '    summary.requests, summary.duration, failed, e.connect + e.read + e.write + e.timeout,',
    '    latency:percentile(50), latency:percentile(90), latency:percentile(99)))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

export interface LoadResult {
  /** Responses received within the window. */
  requests: number;
  seconds: number;
  throughput: number;
  /** Responses with status ≥ 400 plus socket errors (connect, read, write, timeout). */
  errors: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
}

/** wrk threads for `connections` connections: one per 4 cores (one wrk thread drives >10k req/s), a divisor of the connections. */
export function wrkThreads(connections: number, cores: number): number {
  let t = 1;
  while (t * 2 <= Math.max(1, Math.floor(cores / 4)) && t * 2 <= connections && connections % (t * 2) === 0) t *= 2;
  return t;
}

/** A script file in a temp dir of its own; remove() deletes it. */
export function writeScript(req: WrkRequest): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'nereid-wrk-'));
  const path = join(dir, 'request.lua');
  writeFileSync(path, wrkScript(req));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One wrk run: keep-alive, `threads` × `connections`, for `seconds` whole seconds. */
export function runWrk(opts: { url: string; script: string; threads: number; connections: number; seconds: number }): Promise<LoadResult> {
  const args = ['-t', String(opts.threads), '-c', String(opts.connections), '-d', `${opts.seconds}s`, '--timeout', '30s', '-s', opts.script, opts.url];
  return new Promise((resolve, reject) => {
    const p = spawn(WRK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    p.stderr.on('data', (d: Buffer) => {
      out += d;
    });
    p.once('error', reject);
    p.once('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(MARK));
      if (code !== 0 || !line) return reject(new Error(`wrk ${args.join(' ')} exited ${code}: ${out.trim()}`));
      const r = JSON.parse(line.slice(MARK.length)) as Record<string, number>;
      const seconds = r.duration_us! / 1e6;
      resolve({
        requests: r.requests!,
        seconds,
        throughput: r.requests! / seconds,
        errors: r.status_errors! + r.socket_errors!,
        p50Us: r.p50_us!,
        p90Us: r.p90_us!,
        p99Us: r.p99_us!,
      });
    });
  });
}
