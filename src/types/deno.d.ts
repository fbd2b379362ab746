// The small part of Deno's runtime API that Nereid's Deno files use. It is a module (no global
// declarations): each Deno file writes `declare const Deno: DenoApi`, so the rest of the project
// (and src/core in particular) never sees a `Deno` global, and `deno check` sees no conflict.

export interface DenoDirEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

export interface DenoFileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  size: number;
  mtime: Date | null;
}

export interface DenoNetAddr {
  hostname: string;
  port: number;
}

export interface DenoHttpServer {
  readonly addr: DenoNetAddr;
  readonly finished: Promise<void>;
  /** Stops accepting connections and resolves once in-flight requests have finished. */
  shutdown(): Promise<void>;
}

export interface DenoServeOptions {
  port?: number;
  hostname?: string;
  onListen?(addr: DenoNetAddr): void;
  /** Several listeners (threads) on one port: the kernel spreads connections (SO_REUSEPORT, Linux). */
  reusePort?: boolean;
}

export type DenoSignal = 'SIGINT' | 'SIGTERM' | 'SIGBREAK';

export interface DenoApi {
  readonly args: string[];
  readonly build: { os: string };
  cwd(): string;
  exit(code?: number): never;
  readDir(path: string): AsyncIterable<DenoDirEntry>;
  readFile(path: string): Promise<Uint8Array>;
  stat(path: string): Promise<DenoFileInfo>;
  lstat(path: string): Promise<DenoFileInfo>;
  readLink(path: string): Promise<string>;
  statSync(path: string | URL): DenoFileInfo;
  realPath(path: string): Promise<string>;
  realPathSync(path: string): string;
  writeFile(path: string, data: Uint8Array, options?: { createNew?: boolean }): Promise<void>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<void>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  makeTempDir(options?: { prefix?: string }): Promise<string>;
  serve(
    options: DenoServeOptions,
    handler: (request: Request, info: { remoteAddr: { hostname: string; port: number } }) => Response | Promise<Response>,
  ): DenoHttpServer;
  addSignalListener(signal: DenoSignal, handler: () => void): void;
  /** CPU time of this process in microseconds. */
  cpuUsage(): { user: number; system: number };
  memoryUsage(): { rss: number };
  readonly env: { get(name: string): string | undefined };
}
