/**
 * Nereid inside an Electron app: the main process runs the Node platform (onnxruntime-node,
 * file-system repositories) without opening a TCP port, and renderer windows reach it through a
 * MessagePort with the worker transport (`createWorkerClient(port, { transfer: false })` on the
 * renderer side).
 */
import type { Endpoint } from 'comlink';
import type { InferenceServer } from '../../core/index.ts';
import { createHttpApp, type HttpAppOptions } from '../../transports/http/app.ts';
import { exposeFetch } from '../../transports/worker/host.ts';
import type { TransportOptions } from '../../transports/worker/protocol.ts';
import { type NodeStylePort, portEndpoint } from './port.ts';

export * from '../node/index.ts';
export { portEndpoint, type NodeStylePort } from './port.ts';

/**
 * Serves `server` over a port: Electron's MessagePortMain or a worker_threads MessagePort (bodies
 * are cloned: MessagePortMain cannot transfer them), or a comlink Endpoint such as a DOM MessagePort
 * (bodies are transferred unless `opts.transfer` is false).
 */
export function serveOverPort(
  server: InferenceServer,
  port: NodeStylePort | Endpoint,
  opts: HttpAppOptions & TransportOptions & { started?: Promise<void> } = {},
): void {
  const app = createHttpApp(server, opts);
  const nodeStyle = 'on' in port;
  const endpoint = nodeStyle ? portEndpoint(port as NodeStylePort) : (port as Endpoint);
  exposeFetch(app.fetch, endpoint, opts.started, { transfer: nodeStyle ? false : opts.transfer });
  endpoint.start?.();
}
