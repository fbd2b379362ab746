import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../src/core/index.ts';
import { createHttpApp } from '../../src/platform/node/index.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { tmpTree } from '../helpers/tmp.ts';

/** Triton's logging extension over HTTP: GET/POST /v2/logging read and change the live log settings. */
const CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;
const lines: { line: string; level: LogLevel }[] = [];
let t: TestServer;
beforeAll(async () => {
  t = await startServer({
    repositories: [tmpTree({ 'add_sub/config.pbtxt': CONFIG, 'add_sub/1/model.onnx': addSubModel() })],
    log: createLogger({ write: (line, level) => lines.push({ line, level }) }),
  });
});
afterAll(() => t?.stop());

const post = (body: unknown) => t.request('/v2/logging', { method: 'POST', body: JSON.stringify(body) });

describe('/v2/logging', () => {
  it("GET shows the settings in Triton's keys; GET /v2 lists the logging extension", async () => {
    const res = await t.request('/v2/logging');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ log_file: '', log_info: true, log_warning: true, log_error: true, log_verbose_level: 0, log_format: 'default' });
    expect((await (await t.request('/v2')).json()).extensions).toContain('logging');
  });

  it('POST changes what it names, answers with all the settings, and the logger follows at once', async () => {
    const res = await post({ log_verbose_level: 1, log_format: 'ISO8601', log_error: null });
    expect(await res.json()).toEqual({ log_file: '', log_info: true, log_warning: true, log_error: true, log_verbose_level: 1, log_format: 'ISO8601' });
    await t.request('/v2/health/live');
    // The request log (--log-verbose 1) is on now, in Triton's ISO8601 layout (time first).
    expect(lines.at(-1)!.line).toMatch(/^\d{4}-\d\d-\d\dT\S+ V HTTP GET \/v2\/health\/live \{"status":200/);
    await post({ log_verbose_level: 0, log_format: 'json', log_info: false });
    const before = lines.length;
    await t.request('/v2/health/live');
    t.server.log.info('hidden');
    t.server.log.warn('shown');
    expect(lines.slice(before).map((l) => JSON.parse(l.line))).toMatchObject([{ level: 'warn', msg: 'shown' }]);
    await post({ log_info: true, log_format: 'default' });
  });

  it('refuses what Triton refuses, changing nothing', async () => {
    const file = await post({ log_file: '/tmp/x.log', log_info: false });
    expect([file.status, (await file.json()).error]).toEqual([501, 'log file location can not be updated through network protocol']);
    const format = await post({ log_format: 'fancy', log_info: false });
    expect([format.status, (await format.json()).error]).toEqual([503, 'invalid argument for --log_format, got: fancy']);
    const type = await post({ log_info: 'no' });
    expect([type.status, (await type.json()).error]).toEqual([400, "Unable to parse 'log_info': attempt to access JSON non-boolean as boolean"]);
    expect((await (await t.request('/v2/logging')).json()).log_info).toBe(true);
    expect((await t.request('/v2/logging', { method: 'DELETE' })).status).toBe(405);
  });

  it('a server whose logger cannot change (a fixed or silent logger) answers 503 and does not list the extension', async () => {
    const fixed = Object.assign(Object.create(t.server), { log: { ...createLogger(), settings: undefined } });
    const app = createHttpApp(fixed);
    const res = await app.request('/v2/logging');
    expect([res.status, (await res.json()).error]).toEqual([503, 'the server does not support dynamic logging']);
    expect((await (await app.request('/v2')).json()).extensions).not.toContain('logging');
  });
});
