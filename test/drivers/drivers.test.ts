import { afterAll, beforeAll } from 'vitest';
import { type ExampleServer, startExampleServer } from '../../examples/browser/serve.mjs';
import { fsNode } from '../../src/platform/drivers/fs-node.ts';
import { http } from '../../src/platform/drivers/http.ts';
import { indexedDb } from '../../src/platform/drivers/indexeddb.ts';
import { memory } from '../../src/platform/drivers/memory.ts';
import { writeRepositoryIndex } from '../../src/cli/repo-index.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { contractFiles, driverContract } from './driver-contract.ts';
import { fakeIdb } from './fake-idb.ts';

const root = tmpTree(contractFiles());
writeRepositoryIndex(root);
let server: ExampleServer;
beforeAll(async () => {
  server = await startExampleServer({ port: 0, models: root, build: false, index: false, quiet: true });
});
afterAll(() => server?.close());
const base = () => `${server.url}models/`;

driverContract('memory', () => memory({ files: contractFiles() }), { symlinks: false });
const fsRoot = tmpTree(contractFiles());
driverContract('fs-node', () => fsNode({ root: fsRoot }), { symlinks: (root) => fsNode({ root }) });
driverContract('http (static server + repository.json)', () => http({ base: base() }), { symlinks: false });
driverContract('indexeddb in front of http', () => indexedDb({ source: http({ base: base() }), lib: fakeIdb().lib }), { symlinks: false });
