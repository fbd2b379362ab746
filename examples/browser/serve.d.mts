export interface ExampleServerOptions {
  /** 0 picks a free port. @defaultValue 8080 */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** The model repository served under /models/. @defaultValue examples/models */
  models?: string;
  /** The built files served under /dist/. @defaultValue dist */
  dist?: string;
  /** Run `node build.mjs --quiet` first. @defaultValue true */
  build?: boolean;
  /** Run `nereid repo index` on the models first. @defaultValue true */
  index?: boolean;
  quiet?: boolean;
  /** Sees every request. */
  onRequest?: (method: string | undefined, path: string) => void;
}

export interface ExampleServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function startExampleServer(opts?: ExampleServerOptions): Promise<ExampleServer>;
