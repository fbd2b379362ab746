import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The built package as users consume it: `import ... from 'nereid/...'` in a fresh Node process. */
function node(code: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
}

describe('package exports', () => {
  it("'nereid' on Node serves a repository through the hono app", () => {
    const r = node(`
      import { createServer, createHttpApp } from 'nereid';
      const server = await createServer({ repositories: ['examples/models'], cuda: { available: false, deviceCount: 0 } });
      await server.start();
      const res = await createHttpApp(server).request('/v2/models/add_sub');
      console.log(res.status, (await res.json()).platform);
      await server.stop(1000);
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('200 onnxruntime_onnx');
  });

  it("'nereid/core' and 'nereid/http' load without platform modules; subpaths resolve to dist files", () => {
    const r = node(`
      import * as core from 'nereid/core';
      import { createHttpApp } from 'nereid/http';
      import { createWorkerClient } from 'nereid/browser';
      import { createServer as electron } from 'nereid/electron';
      console.log(typeof core.InferenceServer, typeof createHttpApp, typeof createWorkerClient, typeof electron);
      console.log(import.meta.resolve('nereid/core'), import.meta.resolve('nereid/node'));
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [types, paths] = r.stdout.trim().split('\n');
    expect(types).toBe('function function function function');
    expect(paths).toMatch(/dist\/core\/index\.js .*dist\/node\/index\.js$/);
  });

  it('browser and worker bundles contain no node: module and no onnxruntime-node', () => {
    for (const dir of ['dist/browser', 'dist/worker']) {
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.js'))) {
        const text = readFileSync(`${dir}/${f}`, 'utf8');
        expect(text, `${dir}/${f}`).not.toMatch(/from\s*["']node:|import\(["']node:|require\(["']node:/);
        expect(text, `${dir}/${f}`).not.toContain('onnxruntime-node');
      }
    }
  });

  it('every export has declaration files', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    for (const [k, v] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (typeof v !== 'object') continue;
      const types = (v as { types?: string }).types;
      expect(types, k).toMatch(/^\.\/dist\/types\/.*\.d\.ts$/);
      expect(readFileSync(types!, 'utf8').length, k).toBeGreaterThan(0);
    }
  });
});
