#!/usr/bin/env node
// Fails when src/core reaches a platform: imports other than relative core files and
// @bufbuild/protobuf, lossless-json and hash-wasm (MD5 for the checksum agent), or uses Node/Deno globals (process, Buffer, Deno, require).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const CORE = resolve(process.argv[2] ?? 'src/core');
const ALLOWED_PACKAGES = [/^@bufbuild\/protobuf(\/.*)?$/, /^lossless-json$/, /^hash-wasm$/];
const FORBIDDEN_GLOBALS = [/\bprocess\.\w+/, /\bBuffer\.\w+/, /\bDeno\.\w+/, /\brequire\(/, /\b__dirname\b/, /\bglobalThis\.process\b/];

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const problems = [];
for (const file of walk(CORE)) {
  const text = readFileSync(file, 'utf8');
  const rel = relative(process.cwd(), file);
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      // The one file outside: package.json, for the version (src/core/version.ts).
      if (!target.startsWith(CORE) && target !== resolve(CORE, '..', '..', 'package.json')) problems.push(`${rel}: imports '${spec}' from outside src/core`);
      continue;
    }
    if (!ALLOWED_PACKAGES.some((re) => re.test(spec)))
      problems.push(`${rel}: imports '${spec}' (src/core may only import @bufbuild/protobuf, lossless-json and hash-wasm)`);
  }
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
  for (const re of FORBIDDEN_GLOBALS) {
    const hit = code.match(re);
    if (hit) problems.push(`${rel}: uses '${hit[0]}' (platform global)`);
  }
}
// Outside the core, modules reach it only through its public entry, src/core/index.ts (generated
// protobuf code may import the generated config schema directly).
const ENTRY = resolve(CORE, 'index.ts');
const OUTSIDE = process.argv[2] ? [] : ['src/transports', 'src/platform', 'src/cli', 'src/tools'].map((d) => resolve(d));
const outside = [];
for (const dir of OUTSIDE) {
  for (const file of walk(dir)) {
    if (/[\\/]gen[\\/]/.test(file)) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (target.startsWith(`${CORE}/`) && target !== ENTRY) outside.push(`${relative(process.cwd(), file)}: imports '${spec}' (use src/core/index.ts)`);
    }
  }
}
if (problems.length > 0) {
  console.error(`src/core must stay platform-free:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
if (outside.length > 0) {
  console.error(`modules outside src/core must import it through its entry:\n${outside.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('src/core is platform-free; everything else reaches it through src/core/index.ts');
