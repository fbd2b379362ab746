/**
 * The worker transport: HTTP requests and responses as structured-clone messages, with bodies as
 * ArrayBuffers (no JSON copies of tensors), transferred where the port allows it. The same
 * protocol runs over a Web Worker, a MessagePort (Electron renderers, Node worker_threads) or any
 * comlink Endpoint.
 */
export interface WireRequest {
  method: string;
  /** Path and query, e.g. `/v2/models/m/infer`. */
  url: string;
  headers: [string, string][];
  body?: ArrayBuffer;
}

export interface WireResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body?: ArrayBuffer;
}

/** What the server side exposes over comlink. */
export interface WorkerServerApi {
  fetch(request: WireRequest): Promise<WireResponse>;
  /** Resolves once the server's startup models are loaded (or rejects with why not). */
  started(): Promise<void>;
}

/** Progress of model downloads, pushed to the page as it happens. */
export interface DownloadProgress {
  path: string;
  loaded: number;
  total?: number;
  /** `network`, or `cache` when the bytes came from IndexedDB. */
  source: 'network' | 'cache';
  done: boolean;
}

/** How one side of the transport sends bodies. */
export interface TransportOptions {
  /**
   * Transfer body ArrayBuffers (zero copy) instead of cloning them. Set it to false on a port whose
   * other end is Electron's MessagePortMain: MessagePortMain.postMessage accepts only ports in its
   * transfer list, and a message that transfers an ArrayBuffer from a renderer to a MessagePortMain
   * arrives without its data (electron/electron#34905).
   * @defaultValue true
   */
  transfer?: boolean;
}
