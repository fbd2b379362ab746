// Builds the distributable bundles with esbuild, one build per target:
//   dist/node     Node entry, CLI, JavaScript-model worker, Electron entry (dependencies external)
//   dist/core     the platform-free core and the hono app (dependencies external)
//   dist/deno     Deno entry (dependencies external, resolved by Deno from node_modules or npm:)
//   dist/browser  page-side client (comlink bundled in; no onnxruntime)
//   dist/worker   Web Worker server (everything bundled, onnxruntime-web's wasm files copied next to it)
//   dist/types    declaration files (tsc --emitDeclarationOnly)
// Then it checks that browser/worker bundles never pull in a `node:` module or onnxruntime-node,
// and that package.json and deno.json agree on the exports (scripts/check-exports.mjs).
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { checkBundleInputs, checkExports } from './scripts/check-exports.mjs';

const quiet = process.argv.includes('--quiet');
const started = performance.now();
// Build into a private directory and swap it in at the end, so processes reading dist/ meanwhile
// (a running server, a browser test) never see it half-written.
const OUT = `.dist-build-${process.pid}`;
rmSync(OUT, { recursive: true, force: true });

/** The core reads its version from package.json: bundles get that one field, not the whole manifest. */
const versionOnly = {
  name: 'package-version-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]package\.json$/ }, async (args) => {
      const { version } = JSON.parse(await readFile(args.path, 'utf8'));
      return { contents: JSON.stringify({ version }), loader: 'json' };
    });
  },
};
const common = { bundle: true, format: 'esm', sourcemap: true, target: 'es2022', logLevel: quiet ? 'warning' : 'info', metafile: true, plugins: [versionOnly] };
const external = { ...common, packages: 'external', splitting: true, chunkNames: 'chunks/[name]-[hash]' };
const present = (entries) => Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file)));
/** Builds only when at least one entry point exists (platform sources land one by one). */
const maybe = (options) => (Object.keys(options.entryPoints).length > 0 ? build(options) : Promise.resolve({ metafile: { inputs: {}, outputs: {} } }));

const builds = {
  node: build({
    ...external,
    platform: 'node',
    entryPoints: {
      index: 'src/platform/node/index.ts',
      cli: 'src/cli/node.ts',
      'js-worker': 'src/platform/node/js-worker.ts',
      'ort-thread': 'src/platform/ort/node/ort-thread.ts',
      frontend: 'src/platform/node/frontend.ts',
      electron: 'src/platform/electron/index.ts',
    },
    outdir: `${OUT}/node`,
  }),
  core: build({ ...external, platform: 'neutral', entryPoints: { index: 'src/core/index.ts', http: 'src/transports/http/app.ts' }, outdir: `${OUT}/core` }),
  deno: maybe({
    ...external,
    platform: 'neutral',
    entryPoints: present({
      index: 'src/platform/deno/index.ts',
      cli: 'src/cli/deno.ts',
      'js-worker': 'src/platform/deno/js-worker.ts',
      frontend: 'src/platform/deno/frontend.ts',
    }),
    outdir: `${OUT}/deno`,
  }),
  browser: maybe({
    ...common,
    platform: 'browser',
    conditions: ['browser'],
    entryPoints: present({ index: 'src/platform/browser/index.ts', 'service-worker': 'src/platform/browser/service-worker.ts' }),
    outdir: `${OUT}/browser`,
  }),
  worker: maybe({
    ...common,
    platform: 'browser',
    conditions: ['worker', 'browser'],
    entryPoints: present({
      index: 'src/platform/browser/worker-server.ts',
      worker: 'src/platform/browser/worker.ts',
      'js-worker': 'src/platform/browser/js-worker.ts',
    }),
    outdir: `${OUT}/worker`,
    // onnxruntime-web loads its wasm glue with a dynamic import; keep it a separate file.
    external: ['*.wasm', './ort-wasm-*'],
  }),
};
let results;
try {
  results = Object.fromEntries(await Promise.all(Object.entries(builds).map(async ([k, p]) => [k, await p])));
} catch (e) {
  rmSync(OUT, { recursive: true, force: true });
  throw e;
}

// onnxruntime-web's WebGPU/WASM runtime files travel next to the worker bundle.
mkdirSync(`${OUT}/worker`, { recursive: true });
for (const f of ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) {
  copyFileSync(`node_modules/onnxruntime-web/dist/${f}`, `${OUT}/worker/${f}`);
}
writeFileSync(`${OUT}/worker/README.txt`, 'Serve this directory as is: worker.js loads the onnxruntime-web files next to it.\n');

try {
  // Declaration files for every module (the package's `types` entries point into dist/types).
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', `${OUT}/types`], { stdio: 'inherit' });
  checkBundleInputs({ browser: results.browser.metafile, worker: results.worker.metafile });
} catch (e) {
  rmSync(OUT, { recursive: true, force: true });
  throw e;
}
const trash = `.dist-old-${process.pid}`;
if (existsSync('dist')) renameSync('dist', trash);
renameSync(OUT, 'dist');
rmSync(trash, { recursive: true, force: true });
checkExports();
if (!quiet) console.log(`built dist/ in ${Math.round(performance.now() - started)} ms`);
