import { createHttpApp, createServer, type InferenceServer, type NodeServerOptions } from '../../src/platform/node/index.ts';

export interface TestServer {
  server: InferenceServer;
  /** Calls the hono app in-process (no socket). */
  request(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/** A started Node server (real onnxruntime-node, real repository on disk), reached in-process. */
export async function startServer(
  opts: Partial<NodeServerOptions> & { repositories: NodeServerOptions['repositories'] },
  http: { maxInputSize?: number } = {},
): Promise<TestServer> {
  const server = await createServer({ cuda: { available: false, deviceCount: 0, reason: 'tests run on CPU' }, cpuCount: 2, ...opts });
  await server.start();
  const app = createHttpApp(server, http);
  return {
    server,
    request: async (path, init) => app.request(path, init),
    stop: () => server.stop(1000),
  };
}

export const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  body: typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body),
  headers,
});
