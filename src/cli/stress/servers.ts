import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../platform/node/package-root.ts';

/** A `nereid serve` child process the stress driver owns, restarted (and counted) if it dies. */
export class ServerProcess {
  url = '';
  /** The gRPC address (HOST:PORT) from its `GRPC server listening on` line. */
  grpcAddress = '';
  restarts = 0;
  rss: { start?: number; mid?: number; end?: number; peak: number } = { peak: 0 };
  private proc?: ChildProcess;
  private stopping = false;
  private readonly args: string[];
  private readonly label: string;
  private readonly onLine: (line: string) => void;

  constructor(label: string, args: string[], onLine: (line: string) => void = () => {}) {
    this.label = label;
    this.args = args;
    this.onLine = onLine;
  }

  async start(): Promise<void> {
    const proc = spawn(
      process.execPath,
      [
        join(packageRoot(), 'bin', 'nereid.mjs'),
        'serve',
        '--http-port',
        '0',
        '--metrics-port',
        '0',
        '--grpc-port',
        '0',
        '--http-address',
        '127.0.0.1',
        '--grpc-address',
        '127.0.0.1',
        ...this.args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label} did not start:\n${out}`)), 60_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = out.match(/HTTP server listening on (http:\/\/\S+)/);
        if (m && !this.url.endsWith(m[1]!)) {
          clearTimeout(timer);
          // gRPC listens before HTTP: its line is already there.
          this.grpcAddress = out.match(/GRPC server listening on (\S+)/)?.[1] ?? '';
          this.url = m[1]!;
          resolve();
        }
        for (const line of d.toString().split('\n')) if (line.startsWith('E ')) this.onLine(`${this.label}: ${line}`);
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        if (!this.url) reject(new Error(`${this.label} exited with ${code} before listening:\n${out}`));
      });
    });
    proc.once('exit', (code, signal) => {
      if (this.stopping) return;
      this.restarts++;
      this.onLine(`${this.label} exited unexpectedly (code ${code}, signal ${signal}); restarting`);
      this.url = '';
      this.grpcAddress = '';
      void this.start();
    });
  }

  /** Resident memory of the process in bytes (Linux /proc), sampled into start/peak. */
  sampleRss(): number | undefined {
    const pid = this.proc?.pid;
    if (!pid) return undefined;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
      if (!kb) return undefined;
      const bytes = kb * 1024;
      this.rss.start ??= bytes;
      this.rss.peak = Math.max(this.rss.peak, bytes);
      return bytes;
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<number | null> {
    this.stopping = true;
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return proc?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    return exited;
  }
}
