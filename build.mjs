// Builds the distributable bundles with esbuild. Dependencies stay external (resolved from
// node_modules at run time); each platform gets its own entry points.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const quiet = process.argv.includes('--quiet');
const started = performance.now();
rmSync('dist', { recursive: true, force: true });

const common = {
  bundle: true,
  format: 'esm',
  sourcemap: true,
  packages: 'external',
  target: 'es2022',
  logLevel: quiet ? 'warning' : 'info',
};

await Promise.all([
  build({
    ...common,
    platform: 'node',
    entryPoints: { index: 'src/platform/node/index.ts', cli: 'src/platform/node/cli.ts', 'js-worker': 'src/platform/node/js-worker.ts' },
    outdir: 'dist/node',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  }),
  build({
    ...common,
    platform: 'neutral',
    entryPoints: { index: 'src/core/index.ts', http: 'src/transports/http/app.ts' },
    outdir: 'dist/core',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  }),
]);
if (!quiet) console.log(`built dist/ in ${Math.round(performance.now() - started)} ms`);
