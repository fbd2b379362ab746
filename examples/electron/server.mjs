// The part of the Electron main process that runs Nereid: no TCP port, one MessagePort per window.
// Kept free of `electron` imports so it can be exercised under plain Node (see test/electron.test.ts).
import { fileURLToPath } from 'node:url';
// In an app of your own: import { createServer, serveOverPort } from 'nereid/electron';
import { createServer, serveOverPort } from '../../dist/node/electron.js';

const MODELS = fileURLToPath(new URL('../models', import.meta.url));

/** Starts the embedded server on `modelRepository` (default: examples/models). */
export async function startNereid({ modelRepository = MODELS, log } = {}) {
  const server = await createServer({ repositories: [modelRepository], controlMode: 'none', log });
  const started = server.start();
  return {
    server,
    started,
    /** Serves the server over one end of a MessageChannel(Main); the renderer gets the other end. */
    connect(port) {
      serveOverPort(server, port, { started });
    },
    stop: () => server.stop(5000),
  };
}
