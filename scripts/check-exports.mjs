// Build-time checks (hono's validate-exports / unstorage's validatePkg idea, our own code):
// - browser and worker bundles contain no `node:` module and no onnxruntime-node;
// - package.json `exports` and deno.json `exports` offer the same subpaths;
// - every file package.json's exports point to exists after the build.
import { existsSync, readFileSync } from 'node:fs';

const FORBIDDEN = [/^node:/, /(^|\/)onnxruntime-node(\/|$)/, /^(fs|path|os|child_process|worker_threads|crypto)$/];

export function checkBundleInputs(metafiles) {
  const problems = [];
  for (const [target, meta] of Object.entries(metafiles)) {
    for (const [input, info] of Object.entries(meta.inputs ?? {})) {
      if (FORBIDDEN.some((re) => re.test(input))) problems.push(`${target}: bundles ${input}`);
      for (const imp of info.imports ?? []) if (FORBIDDEN.some((re) => re.test(imp.path))) problems.push(`${target}: ${input} imports ${imp.path}`);
    }
    for (const [output, info] of Object.entries(meta.outputs ?? {})) {
      for (const imp of info.imports ?? [])
        if (imp.external && FORBIDDEN.some((re) => re.test(imp.path))) problems.push(`${target}: ${output} imports ${imp.path}`);
    }
  }
  if (problems.length > 0) fail(`browser/worker bundles must not reach Node-only modules:\n  ${problems.join('\n  ')}`);
}

function targets(value) {
  if (typeof value === 'string') return [value];
  return Object.values(value ?? {}).flatMap(targets);
}

export function checkExports(root = '.') {
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'));
  const deno = JSON.parse(readFileSync(`${root}/deno.json`, 'utf8'));
  const pkgKeys = Object.keys(pkg.exports ?? {})
    .filter((k) => k !== './package.json')
    .sort();
  const denoKeys = Object.keys(deno.exports ?? {}).sort();
  const problems = [];
  for (const k of pkgKeys) if (!denoKeys.includes(k)) problems.push(`package.json exports '${k}' but deno.json does not`);
  for (const k of denoKeys) if (!pkgKeys.includes(k)) problems.push(`deno.json exports '${k}' but package.json does not`);
  if (pkg.version !== deno.version) problems.push(`versions differ: package.json ${pkg.version}, deno.json ${deno.version}`);
  for (const [k, v] of Object.entries(pkg.exports ?? {})) {
    for (const file of targets(v)) if (!existsSync(`${root}/${file}`)) problems.push(`package.json exports '${k}' → ${file}, which does not exist`);
  }
  for (const [k, v] of Object.entries(deno.exports ?? {})) {
    for (const file of targets(v)) if (!existsSync(`${root}/${file}`)) problems.push(`deno.json exports '${k}' → ${file}, which does not exist`);
  }
  if (problems.length > 0) fail(`package manifests disagree:\n  ${problems.join('\n  ')}`);
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) checkExports();
