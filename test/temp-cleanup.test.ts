import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createHttpApp, createServer } from '../src/platform/node/index.ts';
import { identityModel } from '../src/tools/onnx/models.ts';
import { DENO, DENO_RUN, denoEnv, skipDeno } from './helpers/deno.ts';
import { tmpTree } from './helpers/tmp.ts';

// A server leaves nothing in the temp directory: its `file:` override stores go when the model
// unloads, when it stops, and at the latest when the process exits; onnxruntime writes nothing there.

const CONFIG = JSON.stringify({
  backend: 'onnxruntime',
  max_batch_size: 0,
  input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [2] }],
  output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [2] }],
});
const LOAD_BODY = JSON.stringify({ parameters: { config: CONFIG, 'file:1/model.onnx': Buffer.from(identityModel('int32', [2])).toString('base64') } });
const overrides = () =>
  readdirSync(tmpdir())
    .filter((n) => n.startsWith('nereid-override-'))
    .sort();

/** Run in a child process: a server loads a model from uploaded files, infers, prints the temp dir, exits without stop(). */
const CHILD = (importFrom: string, exit: string) => `
import { createHttpApp, createServer } from '${importFrom}';
const [repo, body] = ${exit.startsWith('Deno') ? 'Deno.args' : 'process.argv.slice(1)'};
const server = await createServer({ repositories: [repo], controlMode: 'explicit', cuda: { available: false, deviceCount: 0, reason: 'test' } });
await server.start();
const app = createHttpApp(server);
const load = await app.request('/v2/repository/models/up/load', { method: 'POST', body });
const infer = await app.request('/v2/models/up/infer', { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [2], datatype: 'INT32', data: [3, -4] }] }) });
console.log(JSON.stringify({ load: load.status, output: (await infer.json()).outputs?.[0]?.data }));
${exit};
`;

describe('the temp directory after a server', () => {
  it('server.stop() removes the override directories of the models it still has loaded', async () => {
    const before = overrides();
    const server = await createServer({
      repositories: [tmpTree()],
      controlMode: 'explicit',
      cuda: { available: false, deviceCount: 0, reason: 'test' },
      cpuCount: 1,
    });
    await server.start();
    const app = createHttpApp(server);
    for (const model of ['a', 'b', 'b'])
      expect((await app.request(`/v2/repository/models/${model}/load`, { method: 'POST', body: LOAD_BODY })).status).toBe(200);
    // 'b' uploaded twice: its first store was replaced and removed at once.
    expect(overrides().filter((n) => !before.includes(n))).toHaveLength(2);
    await server.stop(1000);
    expect(overrides()).toEqual(before);
  });

  it('Node: a process that exits without stop() leaves nothing behind, and onnxruntime writes nothing there', () => {
    const temp = tmpTree({}, 'nereid-exit-');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD('nereid/node', 'process.exit(0)'), tmpTree(), LOAD_BODY], {
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: temp, ORT_DISABLE_TELEMETRY: undefined },
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ load: 200, output: [3, -4] });
    expect(readdirSync(temp)).toEqual([]);
  });

  it.skipIf(skipDeno)('Deno: a process that exits without stop() leaves no override directory behind', () => {
    const temp = tmpTree({}, 'nereid-exit-');
    const r = spawnSync(DENO, ['eval', ...DENO_RUN.slice(2), CHILD('./src/platform/deno/index.ts', 'Deno.exit(0)'), tmpTree(), LOAD_BODY], {
      encoding: 'utf8',
      env: { ...denoEnv(), TMPDIR: temp, ORT_DISABLE_TELEMETRY: undefined },
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ load: 200, output: [3, -4] });
    expect(readdirSync(temp)).toEqual([]);
  });
});
