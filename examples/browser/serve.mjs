#!/usr/bin/env node
// `npm run example:browser`: builds dist/, indexes the model repository, bundles the example page
// and serves the page, dist/ and the models on localhost (ETag/Last-Modified, 304s).
//   node examples/browser/serve.mjs [--port 8080] [--host 127.0.0.1] [--models examples/models] [--no-build]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const here = join(root, 'examples', 'browser');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.pbtxt': 'text/plain; charset=utf-8',
  '.onnx': 'application/octet-stream',
};
const BLANK = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>nereid</title></head><body></body></html>';

/** The page imports the built page-side bundle at run time, as an application would. */
const useDist = {
  name: 'nereid-dist',
  setup(b) {
    b.onResolve({ filter: /platform\/browser\/index\.ts$/ }, () => ({ path: '/dist/browser/index.js', external: true }));
  },
};

/**
 * Starts the example server. Options: port (0 = any free one), host, models (directory), dist
 * (built files), build / index (run `node build.mjs` / `nereid repo index` first; default true),
 * quiet, and `onRequest(method, path)`, which sees every request (tests count model downloads
 * with it). Resolves to `{ url, port, close() }`.
 */
export async function startExampleServer(opts = {}) {
  const {
    port = 8080,
    host = '127.0.0.1',
    models = join(root, 'examples', 'models'),
    dist = join(root, 'dist'),
    build: rebuild = true,
    index = true,
    quiet = false,
    onRequest,
  } = opts;
  const io = { cwd: root, stdio: quiet ? 'ignore' : 'inherit' };
  if (rebuild) execFileSync(process.execPath, ['build.mjs', '--quiet'], io);
  const modelDir = resolve(root, models);
  const distDir = resolve(root, dist);
  if (index) execFileSync(process.execPath, ['bin/nereid.mjs', 'repo', 'index', modelDir], io);
  const page = await build({
    entryPoints: [join(here, 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    plugins: [useDist],
    logLevel: 'warning',
  });
  const mainJs = page.outputFiles[0].contents;
  const mainTag = `"${createHash('sha256').update(mainJs).digest('hex').slice(0, 16)}"`;

  const server = createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(res, 400, 'bad request');
    }
    onRequest?.(req.method, path);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
    if (path === '/' || path === '/index.html') return serveFile(req, res, join(here, 'index.html'));
    if (path === '/blank.html') return send(res, 200, BLANK, TYPES['.html']);
    if (path === '/favicon.ico') return send(res, 204);
    if (path === '/main.js') {
      if (req.headers['if-none-match'] === mainTag) return send(res, 304);
      res.writeHead(200, { 'content-type': TYPES['.js'], etag: mainTag, 'cache-control': 'no-cache', 'content-length': mainJs.byteLength });
      return res.end(req.method === 'HEAD' ? undefined : mainJs);
    }
    if (path.startsWith('/dist/')) {
      const extra = path === '/dist/browser/service-worker.js' ? { 'service-worker-allowed': '/' } : {};
      return serveFile(req, res, inside(distDir, path.slice('/dist/'.length)), extra);
    }
    if (path.startsWith('/models/')) return serveFile(req, res, inside(modelDir, path.slice('/models/'.length)));
    return send(res, 404, 'not found');
  });
  await new Promise((ok, fail) => server.once('error', fail).listen(port, host, ok));
  const actual = server.address().port;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actual}/`,
    port: actual,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** A path below `dir`, or undefined when the request tries to leave it. */
function inside(dir, rel) {
  const p = resolve(dir, rel);
  return p === dir || p.startsWith(dir + sep) ? p : undefined;
}

function send(res, status, body = '', type = 'text/plain; charset=utf-8') {
  res.writeHead(status, body ? { 'content-type': type } : {});
  res.end(status === 304 ? undefined : body);
}

function serveFile(req, res, file, headers = {}) {
  const st = file ? statSync(file, { throwIfNoEntry: false }) : undefined;
  if (!st?.isFile()) return send(res, 404, 'not found');
  const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const lastModified = new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString();
  const common = { etag, 'last-modified': lastModified, 'cache-control': 'no-cache', ...headers };
  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  if (inm ? inm.split(',').some((t) => t.trim() === etag) : ims && Date.parse(ims) >= Date.parse(lastModified)) {
    res.writeHead(304, common);
    return res.end();
  }
  res.writeHead(200, { ...common, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': st.size });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      models: { type: 'string', default: 'examples/models' },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`invalid --port '${values.port}'`);
    process.exit(2);
  }
  const s = await startExampleServer({ port, host: values.host, models: resolve(values.models), build: !values['no-build'] });
  console.log(`Nereid browser example: ${s.url}  (?ep=wasm|webgpu, ?sw=1 for service worker mode; Ctrl+C stops)`);
}
