/**
 * Nereid inside an Electron app: the main process runs the Node platform (onnxruntime-node,
 * file-system repositories) without opening a TCP port, and renderer windows reach it through a
 * MessagePort with the worker transport (`createWorkerClient(port)` on the renderer side).
 */
import type { Endpoint } from 'comlink';
import type { InferenceServer } from '../../core/index.ts';
import { createHttpApp, type HttpAppOptions } from '../../transports/http/app.ts';
import { exposeFetch } from '../../transports/worker/host.ts';
import { type NodeStylePort, portEndpoint } from './port.ts';

export * from '../node/index.ts';
export { portEndpoint, type NodeStylePort } from './port.ts';

/** Serves `server` over a port (Electron MessagePortMain, worker_threads MessagePort, or a DOM MessagePort). */
export function serveOverPort(server: InferenceServer, port: NodeStylePort | Endpoint, opts: HttpAppOptions & { started?: Promise<void> } = {}): void {
  const app = createHttpApp(server, opts);
  const endpoint = 'on' in port ? portEndpoint(port as NodeStylePort) : (port as Endpoint);
  exposeFetch(app.fetch, endpoint, opts.started);
  endpoint.start?.();
}
