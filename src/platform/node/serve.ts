import type { AddressInfo } from 'node:net';
import { serve as honoServe } from '@hono/node-server';
import type { InferenceServer } from '../../core/index.ts';
import { createHttpApp } from '../../transports/http/app.ts';

export interface ServeOptions {
  port?: number;
  address?: string;
  maxInputSize?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting connections and resolves once open connections are closed. */
  close(): Promise<void>;
}

/** Serves the hono app on a Node HTTP server. */
export function serve(server: InferenceServer, opts: ServeOptions = {}): Promise<RunningServer> {
  const app = createHttpApp(server, { maxInputSize: opts.maxInputSize });
  const hostname = opts.address ?? '0.0.0.0';
  return new Promise((resolveListen, reject) => {
    const http = honoServe({ fetch: app.fetch, port: opts.port ?? 8000, hostname }, (info: AddressInfo) => {
      const host = hostname.includes(':') ? `[${hostname}]` : hostname;
      resolveListen({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            http.close(() => done());
            (http as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      });
    });
    http.once('error', reject);
  });
}
