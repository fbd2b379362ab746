#!/usr/bin/env node
// The nereid command. Runs the bundled CLI from dist/ (built by `npm install`/`npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/node/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('nereid: dist/node/cli.js is missing; run `npm run build` first');
  process.exit(1);
}
const { main } = await import(cli);
process.exit(await main(process.argv.slice(2)));
