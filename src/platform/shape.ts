// The shape every platform shares (srvx's model: the same call on every runtime). Each platform
// folder has the same files with the same roles:
//   index.ts         composition root: createServer(CreateServerOptions & its own few extras)
//   capabilities.ts  one frozen probe of what the runtime offers, and the providers it gives the core
//   listen.ts        listen / serve / serveMetrics / serveGrpc / holdPort (runtimes with sockets)
//   js-backend.ts    the JavaScript backend's workers on that runtime
// (In the browser, index.ts is the page-side entry; the worker's composition root is server.ts.)
import type { ExecutionBackend, InferenceServer, LogFormat, RepositoryMount, ServerOptions } from '../core/index.ts';
import type { GrpcListener, GrpcListenOptions } from '../transports/grpc/listen.ts';
import type { HttpAppOptions, RestrictionRule } from '../transports/http/app.ts';

export type { GrpcListener, GrpcListenOptions } from '../transports/grpc/listen.ts';

/** What every platform's `createServer` takes. */
export interface CreateServerOptions extends Omit<ServerOptions, 'repositories' | 'backends' | 'providers'> {
  /**
   * Model repositories: a location in the platform's own terms (a directory on Node and Deno, a
   * base URL in the browser), `NAME=LOCATION` to name its namespace, or a mounted driver.
   */
  repositories: (string | RepositoryMount)[];
  /** Backends in addition to the platform's own (onnxruntime, the JavaScript backend). */
  backends?: ExecutionBackend[];
  /**
   * JavaScript-backend calls taking longer fail and restart their worker (--execution-timeout-secs).
   * @defaultValue 0 (no limit)
   */
  executionTimeoutMs?: number;
}

/** A listening socket server (HTTP, metrics), the same on every runtime that has sockets. */
export interface Listener {
  url: string;
  port: number;
  /** Threads serving the port, when more than one (--http-thread-count on a runtime that can share a port). */
  threads?: number;
  /** Stops accepting connections and resolves once open ones are closed. */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** @defaultValue 8000 (HTTP), 8002 (metrics); 0 picks a free port */
  port?: number;
  /** @defaultValue '0.0.0.0' */
  address?: string;
  /** Largest request head (request line + headers) in bytes; larger requests get 431. */
  maxHeaderSize?: number;
}

export type ServeOptions = HttpAppOptions &
  ListenOptions & {
    /**
     * Threads serving HTTP on the port (--http-thread-count): the engine thread and front-end
     * threads that decode requests and hand them to it. Needs SO_REUSEPORT (Node 22.12+, Deno).
     * @defaultValue 1
     */
    threads?: number;
  };

/** What a platform's listen.ts offers the CLI and embedders. */
export interface PlatformListen {
  listen(fetch: (req: Request) => Response | Promise<Response>, opts: ListenOptions): Promise<Listener>;
  serve(server: InferenceServer, opts?: ServeOptions): Promise<Listener>;
  serveMetrics(server: InferenceServer, opts?: ListenOptions): Promise<Listener>;
  /** Serves Triton's gRPC service (GRPCInferenceService and grpc.health.v1) on its own port (8001). */
  serveGrpc(server: InferenceServer, opts?: GrpcListenOptions): Promise<GrpcListener>;
  /** Binds a port until closed, to tell at once whether it is free (rejects with the system error). */
  holdPort(port: number, address: string): Promise<{ close(): Promise<void> }>;
}

/** What a front-end thread needs to serve HTTP like the engine thread: plain data (posted to the thread). */
export interface FrontendOptions {
  log: { verbose: number; format: LogFormat };
  /** Serve HTTP on this port (shared with the engine thread). */
  http?: {
    port: number;
    address: string;
    maxHeaderSize?: number;
    maxInputSize?: number;
    maxPending?: number;
    restricted?: RestrictionRule[];
    corsOrigin?: string[];
  };
  /** Serve gRPC on this port (shared with the engine thread). */
  grpc?: Omit<GrpcListenOptions, 'audit'> & { port: number };
}
