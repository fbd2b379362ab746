import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The Deno binary of the `deno` devDependency. */
export const DENO = resolve('node_modules/.bin/deno');
export const DENO_CLI = 'src/cli/deno.ts';
/** `deno run` flags the Deno server needs (npm packages from ./node_modules). */
export const DENO_RUN = ['run', '-A', '--node-modules-dir=manual', '--unstable-no-legacy-abort'];

/**
 * Deno tests are skipped where the deno package is not installed, with a notice; under CI
 * (`CI=true`) they run anyway, so a missing Deno fails them instead.
 */
export const hasDeno = existsSync(DENO);
export const skipDeno = !hasDeno && process.env.CI !== 'true';
if (skipDeno) console.warn(`NOTICE: Deno tests skipped: ${DENO} is missing (run npm install; deno is a devDependency)`);

/** WebGPU under Deno on Linux needs XDG_RUNTIME_DIR (any writable directory). */
export const denoEnv = (): NodeJS.ProcessEnv => ({ ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', NO_COLOR: '1' });

/** Runs the Deno CLI to completion. */
export function runDenoCli(args: string[], timeoutMs = 30_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(DENO, [...DENO_RUN, DENO_CLI, ...args], { encoding: 'utf8', timeout: timeoutMs, env: denoEnv() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface DenoServer {
  proc: ChildProcess;
  url: string;
  /** The gRPC address (HOST:PORT) when the server serves gRPC. */
  grpc?: string;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Free loopback ports for HTTP, metrics and gRPC. */
export const FREE_PORTS = ['--http-port', '0', '--metrics-port', '0', '--grpc-port', '0', '--http-address', '127.0.0.1', '--grpc-address', '127.0.0.1'];

/** Starts the Deno server with `deno run ... cli.ts ARGS` and waits for its "listening" line. */
export function startDeno(args: string[], timeoutMs?: number): Promise<DenoServer> {
  return startDenoCommand([...DENO_RUN, DENO_CLI, ...FREE_PORTS, ...args], timeoutMs);
}

/** Starts `deno DENO_ARGS` (e.g. `task serve -- ...`) and waits for its "listening" line. */
export function startDenoCommand(denoArgs: string[], timeoutMs = 60_000): Promise<DenoServer> {
  const proc = spawn(DENO, denoArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: denoEnv() });
  let out = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return exited;
  };
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      void stop('SIGKILL');
      reject(new Error(`deno server did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(/HTTP server listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolveStart({ proc, url: m[1]!, grpc: out.match(/GRPC server listening on (\S+)/)?.[1], output: () => out, stop });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`deno server exited with ${code} before listening:\n${out}`));
    });
  });
}
