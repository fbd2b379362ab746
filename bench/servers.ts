// The servers under test, each its own process: the naive server and `nereid serve`.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';

export interface ServerProcess {
  proc: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** The first match of `re` in its output, waiting up to `ms`; rejects when it exits first. */
  waitFor(re: RegExp, ms: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

export function spawnNode(args: string[], node: string = process.execPath): ServerProcess {
  const proc = spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let exited: number | null | undefined;
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  proc.once('exit', (code) => {
    exited = code;
    for (const w of waiters) w();
  });
  return {
    proc,
    output: () => out,
    waitFor: (re, ms) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m) done(() => resolve(m));
          else if (exited !== undefined) done(() => reject(new Error(`exited ${exited} before printing ${re}: node ${args.join(' ')}\n${out}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no ${re} within ${ms / 1000} s: node ${args.join(' ')}\n${out}`))), ms);
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      }),
    stop: async () => {
      if (exited !== undefined) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}

/** Runs `wait` on a started server; a server that fails to come up is stopped, not left running. */
async function upOrStopped<T>(server: ServerProcess, wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/** The naive server on one model file; its URL. */
export async function startNaive(onnxFile: string): Promise<{ server: ServerProcess; url: string }> {
  const server = spawnNode(['--import', 'tsx', 'bench/naive-server.ts', onnxFile]);
  const m = await upOrStopped(server, () => server.waitFor(/listening on (http:\/\/\S+)/, 60_000));
  return { server, url: m[1]! };
}

/** What `nereid serve --help` offers that the benchmark uses when present. */
export interface ServeFeatures {
  grpc: boolean;
  grpcAddress: boolean;
  /** `--allow-grpc`: turns the gRPC endpoint off where a server is not to have one. */
  allowGrpc: boolean;
  httpThreads: boolean;
}

export function serveFeatures(): ServeFeatures {
  const r = spawnSync(process.execPath, ['bin/nereid.mjs', 'serve', '--help'], { encoding: 'utf8' });
  const help = `${r.stdout}${r.stderr}`;
  return {
    grpc: /--grpc-port\b/.test(help),
    grpcAddress: /--grpc-address\b/.test(help),
    allowGrpc: /--allow-grpc\b/.test(help),
    httpThreads: /--http-thread-count\b/.test(help),
  };
}

export interface NereidServer {
  server: ServerProcess;
  url: string;
  metricsUrl: string;
  /** host:port of the gRPC endpoint, when the server printed "GRPC server listening on". */
  grpc?: string;
}

/**
 * `nereid serve` on the repository, HTTP and metrics on free loopback ports; with `withGrpc`, gRPC
 * too where the server has it (else its gRPC endpoint is turned off, or at least on a free port).
 */
export async function startNereid(repo: string, features: ServeFeatures, withGrpc: boolean, extra: string[] = [], node?: string): Promise<NereidServer> {
  const args = ['bin/nereid.mjs', 'serve', '--model-repository', repo, '--http-port', '0', '--metrics-port', '0', '--http-address', '127.0.0.1'];
  if (features.grpc) {
    if (!withGrpc && features.allowGrpc) args.push('--allow-grpc=false');
    else args.push('--grpc-port', '0', ...(features.grpcAddress ? ['--grpc-address', '127.0.0.1'] : []));
  }
  const server = spawnNode([...args, ...extra], node);
  const [http, metrics] = await upOrStopped(server, async () => [
    await server.waitFor(/HTTP server listening on (http:\/\/\S+)/, 120_000),
    await server.waitFor(/Metrics server listening on (http:\/\/\S+)/, 10_000),
  ]);
  let grpc: string | undefined;
  if (features.grpc && withGrpc) {
    const m = await server.waitFor(/GRPC server listening on (\S+)/i, 10_000).catch(() => undefined);
    // host:port, any scheme or path dropped; a wildcard address is reached on loopback.
    grpc = m?.[1]
      ?.replace(/^\w+:\/\//, '')
      .replace(/\/.*$/, '')
      .replace(/^(0\.0\.0\.0|\[::\]):/, '127.0.0.1:');
  }
  return { server, url: http![1]!, metricsUrl: metrics![1]!, grpc };
}

/**
 * Another Node to compare with the one running the bench (`BENCH_OTHER_NODE`, else the system's
 * /usr/bin/node when it is a different version): its path and version, or undefined.
 */
export function otherNode(): { path: string; version: string } | undefined {
  const path = process.env.BENCH_OTHER_NODE ?? '/usr/bin/node';
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  const version = r.status === 0 ? r.stdout.trim() : undefined;
  return version && version !== process.version ? { path, version } : undefined;
}
