import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve('bin/nereid.mjs');

/** Runs `nereid ARGS` to completion. */
export function runCli(args: string[], timeoutMs = 20_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs `nereid ARGS` to completion without blocking the test's event loop (servers the test
 * started keep answering meanwhile); killed after `timeoutMs`.
 */
export function cliOutput(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.once('error', reject);
    p.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CliServer {
  proc: ChildProcess;
  url: string;
  /** The gRPC address (HOST:PORT) when the server serves gRPC. */
  grpc?: string;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `nereid serve ARGS` on free loopback ports (HTTP, metrics, gRPC) and waits for its "listening" line. */
export function startCli(args: string[], timeoutMs = 30_000, node: string = process.execPath): Promise<CliServer> {
  const ports = ['--http-port', '0', '--metrics-port', '0', '--grpc-port', '0', '--http-address', '127.0.0.1', '--grpc-address', '127.0.0.1'];
  const proc = spawn(node, [BIN, 'serve', ...ports, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(/HTTP server listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolveStart({
          proc,
          url: m[1]!,
          grpc: out.match(/GRPC server listening on (\S+)/)?.[1],
          output: () => out,
          stop: async (signal = 'SIGTERM') => {
            proc.kill(signal);
            return exited;
          },
        });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
}
