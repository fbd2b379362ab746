import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, createServer, type InferenceServer } from '../../src/platform/node/index.ts';
import { type AuditEntry, parseRestriction } from '../../src/transports/http/app.ts';
import { apiCategory } from '../../src/transports/http/restricted.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { startCli } from '../helpers/cli.ts';
import { post } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/** Restricted APIs, CORS, request limits and the audit log. */
const CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;
const SLOW = `export async function execute(rs) { await new Promise((r) => setTimeout(r, 400)); return rs.map((r) => ({ outputs: { OUTPUT0: r.inputs.INPUT0 } })); }`;
const X = Array.from({ length: 16 }, (_, i) => i);
const body = {
  inputs: [
    { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: X },
    { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: X },
  ],
};

let server: InferenceServer;
let repo: string;
beforeAll(async () => {
  repo = tmpTree({
    'm/config.pbtxt': CONFIG,
    'm/1/model.onnx': addSubModel(),
    'slow/config.pbtxt':
      'backend: "js"\ninput { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\ninstance_group { count: 4 kind: KIND_CPU }\n',
    'slow/1/model.js': SLOW,
  });
  server = await createServer({ repositories: [repo], controlMode: 'explicit', startupModels: ['*'], cuda: { available: false, deviceCount: 0 } });
  await server.start();
});
afterAll(() => server.stop(1000));

describe('--http-restricted-api', () => {
  it("parses Triton's syntax and refuses unknown categories", () => {
    expect(parseRestriction('model-repository,health:Admin-Key=s3cret')).toEqual({
      categories: ['model-repository', 'health'],
      header: 'admin-key',
      value: 's3cret',
    });
    expect(() => parseRestriction('models:k=v')).toThrow(/unknown category 'models'/);
    expect(() => parseRestriction('health')).toThrow(/expected CATEGORY/);
  });

  it('classifies every endpoint as Triton does', () => {
    expect(apiCategory('/v2/health/ready')).toBe('health');
    expect(apiCategory('/v2/models/m/versions/1/ready')).toBe('health');
    expect(apiCategory('/v2')).toBe('metadata');
    expect(apiCategory('/v2/models/m')).toBe('metadata');
    expect(apiCategory('/v2/models/m/config')).toBe('model-config');
    expect(apiCategory('/v2/models/m/infer')).toBe('inference');
    expect(apiCategory('/v2/models/stats')).toBe('statistics');
    expect(apiCategory('/v2/models/m/versions/2/stats')).toBe('statistics');
    expect(apiCategory('/v2/repository/index')).toBe('model-repository');
    expect(apiCategory('/v2/repository/models/m/load')).toBe('model-repository');
    expect(apiCategory('/v2/systemsharedmemory/status')).toBe('shared-memory');
    expect(apiCategory('/v2/logging')).toBe('logging');
  });

  it('answers 403 without the header and serves with it', async () => {
    const app = createHttpApp(server, { restricted: [parseRestriction('model-repository:admin-key=s3cret'), parseRestriction('inference:x-api-key=k1')] });
    const denied = await app.request('/v2/repository/index', { method: 'POST' });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ error: "This API is restricted, expecting header 'admin-key'" });
    expect((await app.request('/v2/repository/index', { method: 'POST', headers: { 'admin-key': 'wrong' } })).status).toBe(403);
    expect((await app.request('/v2/repository/index', { method: 'POST', headers: { 'admin-key': 's3cret' } })).status).toBe(200);
    expect((await app.request('/v2/models/m/infer', post(body))).status).toBe(403);
    expect((await app.request('/v2/models/m/infer', post(body, { 'x-api-key': 'k1' }))).status).toBe(200);
    expect((await app.request('/v2/health/ready')).status).toBe(200);
    expect((await app.request('/v2/models/m')).status).toBe(200);
  });
});

describe('CORS', () => {
  it('is off by default and allows the configured origins when on', async () => {
    const off = createHttpApp(server);
    const a = await off.request('/v2/models/m', { headers: { origin: 'https://app.example' } });
    expect(a.headers.get('access-control-allow-origin')).toBeNull();
    const on = createHttpApp(server, { corsOrigin: ['https://app.example'] });
    const pre = await on.request('/v2/models/m/infer', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'inference-header-content-length' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const res = await on.request('/v2/models/m/infer', post(body, { origin: 'https://app.example' }));
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Inference-Header-Content-Length/i);
    const other = await on.request('/v2/models/m', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('--http-max-pending', () => {
  it('answers 503 past the limit without queueing, and serves again once below it', async () => {
    const app = createHttpApp(server, { maxPending: 2 });
    const slow = () => app.request('/v2/models/slow/infer', post({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'INT32', data: [1] }] }));
    const first = [slow(), slow()];
    await new Promise((r) => setTimeout(r, 50));
    const third = await slow();
    expect(third.status).toBe(503);
    expect((await third.json()).error).toBe('Server is busy: 2 requests are in flight (--http-max-pending 2)');
    expect((await app.request('/v2/health/live')).status).toBe(200);
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    expect((await slow()).status).toBe(200);
  });
});

describe('audit log', () => {
  it('records every load and unload, with config overrides, the source and the result', async () => {
    const entries: AuditEntry[] = [];
    const app = createHttpApp(server, { audit: (e) => entries.push(e) });
    await app.request('/v2/repository/models/m/unload', { method: 'POST', headers: { 'x-forwarded-for': '10.1.2.3' } });
    await app.request(
      '/v2/repository/models/m/load',
      post({ parameters: { config: JSON.stringify({ max_batch_size: 4 }) } }, { 'x-forwarded-for': '10.1.2.3' }),
    );
    await app.request('/v2/repository/models/missing/load', { method: 'POST' });
    expect(entries).toEqual([
      { time: expect.any(String), action: 'unload', model: 'm', versions: [], config_override: false, files: 0, source: '10.1.2.3', status: 200, result: 'ok' },
      { time: expect.any(String), action: 'load', model: 'm', versions: ['1'], config_override: true, files: 0, source: '10.1.2.3', status: 200, result: 'ok' },
      {
        time: expect.any(String),
        action: 'load',
        model: 'missing',
        versions: [],
        config_override: false,
        files: 0,
        source: undefined,
        status: 404,
        result: expect.stringMatching(/^failed to load 'missing'/),
      },
    ]);
    expect(Date.parse(entries[0]!.time)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('the CLI writes it as a JSON line with the socket address; oversized request heads get 431', async () => {
    const srv = await startCli(['--model-repository', repo, '--model-control-mode', 'explicit', '--http-max-header-size', '4096']);
    try {
      expect((await fetch(`${srv.url}/v2/repository/models/m/load`, { method: 'POST' })).status).toBe(200);
      const line = srv
        .output()
        .split('\n')
        .find((l) => l.startsWith('{"audit":true'));
      expect(JSON.parse(line!)).toMatchObject({ audit: true, action: 'load', model: 'm', versions: ['1'], status: 200, result: 'ok', source: '127.0.0.1' });
      const big = await fetch(`${srv.url}/v2/health/live`, { headers: { 'x-filler': 'x'.repeat(8000) } });
      expect(big.status).toBe(431);
      expect((await fetch(`${srv.url}/v2/health/live`)).status).toBe(200);
    } finally {
      await srv.stop();
    }
  });
});
