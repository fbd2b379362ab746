import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../src/core/index.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { type Msg, Status } from '../helpers/grpc.ts';
import { ADD_SUB_CONFIG, addSubRequest, type GrpcTestServer, startGrpcServer, typed } from './server.ts';

/**
 * Every unary RPC of GRPCInferenceService and grpc.health.v1.Health/Check against a real server,
 * through the independent grpc-js client, compared with what the HTTP API of the same server
 * answers (the gRPC service must behave as its HTTP counterpart, with gRPC status codes).
 */
const lines: { line: string; level: LogLevel }[] = [];
const log = createLogger({ write: (line, level) => lines.push({ line, level }) });
const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
const A = Float32Array.from({ length: 16 }, (_, i) => i * 0.5);
const B = Float32Array.from({ length: 16 }, (_, i) => 3 - i);

let t: GrpcTestServer;
beforeAll(async () => {
  t = await startGrpcServer(
    {
      'add_sub/config.pbtxt': ADD_SUB_CONFIG,
      'add_sub/1/model.onnx': addSubModel(),
      'spare/config.pbtxt': ADD_SUB_CONFIG,
      'spare/1/model.onnx': addSubModel(),
    },
    { controlMode: 'explicit', startupModels: ['add_sub'], log },
  );
});
afterAll(() => t?.stop());

const audits = () => lines.filter((l) => l.line.startsWith('{"audit":true')).map((l) => JSON.parse(l.line));

describe('health and metadata', () => {
  it('ServerLive, ServerReady and Health/Check', async () => {
    expect(await t.client.call('ServerLive', {})).toEqual({ live: true });
    expect(await t.client.call('ServerReady', {})).toEqual({ ready: true });
    expect(await t.client.health()).toEqual({ status: 'SERVING' });
    expect(await t.client.health('inference.GRPCInferenceService')).toEqual({ status: 'SERVING' });
    const unknown = await t.client.health('no.such.Service').then(
      () => undefined,
      (e) => e,
    );
    expect(unknown.code).toBe(Status.NOT_FOUND);
  });

  it('ServerMetadata is GET /v2 (the logging extension is listed: the settings can change live)', async () => {
    const meta = await t.client.call('ServerMetadata', {});
    expect(meta).toEqual(await (await t.http('/v2')).json());
    expect(meta).toMatchObject({ name: 'nereid', version: VERSION });
    expect(meta.extensions).toContain('logging');
  });

  it('ModelMetadata is GET /v2/models/{m}; an unknown model is NOT_FOUND with the HTTP message', async () => {
    const meta = await t.client.call('ModelMetadata', { name: 'add_sub' });
    // Nereid's `parameters` (execution provider) have no field in Triton's ModelMetadataResponse.
    const { parameters: _, ...http } = await (await t.http('/v2/models/add_sub')).json();
    const shapes = (l: Msg[]) => l.map((x) => ({ ...x, shape: x.shape.map(Number) }));
    expect({ ...meta, inputs: shapes(meta.inputs), outputs: shapes(meta.outputs) }).toEqual(http);
    expect((await t.client.call('ModelMetadata', { name: 'add_sub', version: '1' })).versions).toEqual(['1']);
    const e = await t.client.fail('ModelMetadata', { name: 'nope' });
    expect([e.code, e.details]).toEqual([Status.NOT_FOUND, "Request for unknown model: 'nope' is not found"]);
    const v = await t.client.fail('ModelMetadata', { name: 'add_sub', version: '7' });
    expect([v.code, v.details]).toEqual([Status.NOT_FOUND, "Request for unknown model: 'add_sub' version 7 is not found"]);
    // The message travels percent-encoded (grpc-message): ':', '%', spaces and non-ASCII text come back as sent.
    const name = 'nöpe 100% 模型: x/y';
    const n = await t.client.fail('ModelMetadata', { name });
    expect([n.code, n.details]).toEqual([Status.NOT_FOUND, `Request for unknown model: '${name}' is not found`]);
  });

  it('ModelReady: true when ready, false (not an error) for an unknown model or version', async () => {
    expect(await t.client.call('ModelReady', { name: 'add_sub' })).toEqual({ ready: true });
    expect(await t.client.call('ModelReady', { name: 'add_sub', version: '1' })).toEqual({ ready: true });
    expect(await t.client.call('ModelReady', { name: 'add_sub', version: '2' })).toEqual({ ready: false });
    expect(await t.client.call('ModelReady', { name: 'nope' })).toEqual({ ready: false });
    expect(await t.client.call('ModelReady', { name: 'spare' })).toEqual({ ready: false });
  });

  it('ModelConfig is the completed config as the ModelConfig message', async () => {
    const { config } = await t.client.call('ModelConfig', { name: 'add_sub' });
    const http = await (await t.http('/v2/models/add_sub/config')).json();
    expect(config.name).toBe('add_sub');
    expect(Number(config.max_batch_size)).toBe(http.max_batch_size);
    expect(config.platform).toBe(http.platform);
    expect(config.input.map((i: Msg) => [i.name, i.data_type, i.dims.map(Number)])).toEqual(http.input.map((i: Msg) => [i.name, i.data_type, i.dims]));
    expect(config.instance_group.map((g: Msg) => [Number(g.count), g.kind])).toEqual(http.instance_group.map((g: Msg) => [g.count, g.kind]));
    expect((await t.client.fail('ModelConfig', { name: 'nope' })).code).toBe(Status.NOT_FOUND);
  });
});

describe('statistics and metrics', () => {
  it('ModelStatistics counts gRPC inferences as GET /v2/models/{m}/stats does, and the metrics count them', async () => {
    const before = await t.client.call('ModelStatistics', { name: 'add_sub' });
    const count = (s: Msg) => Number(s.model_stats[0].inference_stats.success.count);
    await t.client.call('ModelInfer', addSubRequest(A, B));
    await t.client.call('ModelInfer', addSubRequest(A, B));
    const after = await t.client.call('ModelStatistics', { name: 'add_sub', version: '1' });
    expect(count(after) - count(before)).toBe(2);
    const http = await (await t.http('/v2/models/add_sub/stats')).json();
    const s = after.model_stats[0];
    expect([s.name, s.version, Number(s.inference_count), Number(s.execution_count)]).toEqual([
      http.model_stats[0].name,
      http.model_stats[0].version,
      http.model_stats[0].inference_count,
      http.model_stats[0].execution_count,
    ]);
    expect(Number(s.inference_stats.queue.count)).toBe(http.model_stats[0].inference_stats.queue.count);
    expect((await t.client.call('ModelStatistics', {})).model_stats.map((m: Msg) => m.name)).toEqual(['add_sub']);
    const e = await t.client.fail('ModelStatistics', { name: 'spare' });
    expect([e.code, e.details]).toEqual([Status.INVALID_ARGUMENT, "requested model 'spare' is not available"]);
    const metric = /nv_inference_request_success\{model="add_sub",version="1"[^}]*\} (\d+)/.exec(t.server.metrics());
    expect(Number(metric?.[1])).toBe(count(after));
  });
});

describe('model repository', () => {
  it('RepositoryIndex is POST /v2/repository/index (ready filter too)', async () => {
    const index = (await t.client.call('RepositoryIndex', {})).models;
    const http = await (await t.http('/v2/repository/index', { method: 'POST' })).json();
    expect(index).toEqual(http.map((e: Msg) => ({ name: e.name, version: e.version ?? '', state: e.state ?? '', reason: e.reason ?? '' })));
    expect((await t.client.call('RepositoryIndex', { ready: true })).models.map((m: Msg) => m.name)).toEqual(['add_sub']);
  });

  it('RepositoryModelLoad with a config override (string_param) and files (bytes_param), audited as gRPC', async () => {
    const config = JSON.stringify({
      name: 'made',
      max_batch_size: 4,
      input: [
        { name: 'INPUT0', data_type: 'TYPE_FP32', dims: [16] },
        { name: 'INPUT1', data_type: 'TYPE_FP32', dims: [16] },
      ],
      output: [
        { name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [16] },
        { name: 'OUTPUT1', data_type: 'TYPE_FP32', dims: [16] },
      ],
    });
    await t.client.call('RepositoryModelLoad', {
      model_name: 'made',
      parameters: { config: { string_param: config }, 'file:3/model.onnx': { bytes_param: Buffer.from(addSubModel()) } },
    });
    const meta = await t.client.call('ModelMetadata', { name: 'made' });
    expect(meta.versions).toEqual(['3']);
    expect((await t.client.call('ModelConfig', { name: 'made' })).config.max_batch_size).toBe(4);
    const res = await t.client.call('ModelInfer', addSubRequest(A, B, { model_name: 'made' }));
    expect(Array.from(typed(Float32Array, res.raw_output_contents[0]))).toEqual(Array.from(A, (a, i) => a + B[i]!));
    expect(audits().at(-1)).toMatchObject({
      action: 'load',
      model: 'made',
      versions: ['3'],
      config_override: true,
      files: 1,
      status: 0,
      result: 'ok',
      protocol: 'grpc',
    });
    expect(audits().at(-1).source).toBe('127.0.0.1');
  });

  it("KServe's RepositoryModelLoadRequest (the name in field 1) loads the model it names", async () => {
    await t.client.call('RepositoryModelLoad', { repository_name: 'spare' });
    expect(await t.client.call('ModelReady', { name: 'spare' })).toEqual({ ready: true });
    const both = await t.client.fail('RepositoryModelLoad', { repository_name: 'r', model_name: 'spare' });
    expect([both.code, both.details]).toEqual([Status.UNIMPLEMENTED, "'repository_name' specification is not supported"]);
  });

  it('RepositoryModelUnload (unload_dependents as bool_param); errors keep their codes and are audited', async () => {
    await t.client.call('RepositoryModelUnload', { model_name: 'spare', parameters: { unload_dependents: { bool_param: true } } });
    expect(await t.client.call('ModelReady', { name: 'spare' })).toEqual({ ready: false });
    expect(audits().at(-1)).toMatchObject({ action: 'unload', model: 'spare', versions: [], status: 0, result: 'ok', protocol: 'grpc' });
    const bad = await t.client.fail('RepositoryModelUnload', { model_name: 'spare', parameters: { unload_dependents: { string_param: 'yes' } } });
    expect([bad.code, bad.details]).toEqual([Status.INVALID_ARGUMENT, "invalid value type for 'unload_dependents' parameter, expected bool_param."]);
    const missing = await t.client.fail('RepositoryModelLoad', { model_name: 'nothing_here' });
    const http = await t.http('/v2/repository/models/nothing_here/load', { method: 'POST' });
    expect(missing.details).toBe((await http.json()).error);
    expect(missing.code).toBe({ 400: Status.INVALID_ARGUMENT, 404: Status.NOT_FOUND, 500: Status.INTERNAL, 503: Status.UNAVAILABLE }[http.status]);
    expect(audits().find((a) => a.model === 'nothing_here' && a.protocol === 'grpc')).toMatchObject({
      action: 'load',
      status: missing.code,
      result: missing.details,
    });
    const file = await t.client.fail('RepositoryModelLoad', { model_name: 'x', parameters: { 'file:1/model.onnx': { string_param: 'abc' } } });
    expect([file.code, file.details]).toEqual([Status.INVALID_ARGUMENT, "invalid value type for 'file:1/model.onnx' parameter, expected bytes_param."]);
    const outside = await t.client.fail('RepositoryModelLoad', { model_name: 'x', parameters: { 'file:../x': { bytes_param: Buffer.from('a') } } });
    expect(outside.details).toMatch(/invalid file override path '\.\.\/x'/);
  });
});

describe('logging: LogSettings and /v2/logging change the same live settings', () => {
  const settings = (m: Msg) => Object.fromEntries(Object.entries(m.settings as Msg).map(([k, v]) => [k, (v as Msg)[(v as Msg).parameter_choice]]));

  it('reads the same settings over both protocols, and a change over one shows over the other', async () => {
    const initial = settings(await t.client.call('LogSettings', {}));
    expect(initial).toEqual({ log_file: '', log_info: true, log_warning: true, log_error: true, log_verbose_level: 0, log_format: 'default' });
    expect(await (await t.http('/v2/logging')).json()).toEqual(initial);
    const changed = settings(
      await t.client.call('LogSettings', { settings: { log_verbose_level: { uint32_param: 1 }, log_format: { string_param: 'ISO8601' } } }),
    );
    expect(changed).toMatchObject({ log_verbose_level: 1, log_format: 'ISO8601' });
    expect(await (await t.http('/v2/logging')).json()).toEqual(changed);
    const posted = await t.http('/v2/logging', { method: 'POST', body: JSON.stringify({ log_warning: false, log_format: 'default', log_info: null }) });
    expect(await posted.json()).toEqual({ ...changed, log_warning: false, log_format: 'default' });
    expect(settings(await t.client.call('LogSettings', {}))).toEqual({ ...changed, log_warning: false, log_format: 'default' });
    await t.client.call('LogSettings', { settings: { log_warning: { bool_param: true }, log_verbose_level: { uint32_param: 0 } } });
  });

  it('the change takes effect at once: the verbose request log and info lines follow the live level', async () => {
    const verboseLines = () => lines.filter((l) => l.level === 'verbose').length;
    const before = verboseLines();
    await t.http('/v2/health/ready');
    expect(verboseLines()).toBe(before);
    await t.client.call('LogSettings', { settings: { log_verbose_level: { uint32_param: 1 } } });
    await t.http('/v2/health/ready');
    expect(lines.at(-1)!.line).toMatch(/^V \S+ HTTP GET \/v2\/health\/ready \{"status":200/);
    await t.http('/v2/logging', { method: 'POST', body: JSON.stringify({ log_verbose_level: 0, log_info: false }) });
    const count = lines.length;
    t.server.log.info('not written while log_info is false');
    await t.http('/v2/health/ready');
    expect(lines.length).toBe(count);
    await t.client.call('LogSettings', { settings: { log_info: { bool_param: true } } });
    t.server.log.info('written again');
    expect(lines.at(-1)!.line).toMatch(/^I \S+ written again$/);
  });

  it('refuses what Triton refuses, with its codes and messages, changing nothing', async () => {
    const file = await t.client.fail('LogSettings', { settings: { log_file: { string_param: 'x.log' }, log_info: { bool_param: false } } });
    expect([file.code, file.details]).toEqual([Status.UNIMPLEMENTED, 'log file location can not be updated through network protocol']);
    const type = await t.client.fail('LogSettings', { settings: { log_info: { uint32_param: 1 } } });
    expect([type.code, type.details]).toEqual([Status.INVALID_ARGUMENT, "expect boolean for 'log_info'"]);
    const level = await t.client.fail('LogSettings', { settings: { log_verbose_level: { bool_param: true } } });
    expect(level.details).toBe("expect int32 for 'log_verbose_level'");
    const format = await t.client.fail('LogSettings', { settings: { log_warning: { bool_param: false }, log_format: { string_param: 'fancy' } } });
    expect([format.code, format.details]).toEqual([Status.INVALID_ARGUMENT, 'invalid argument for log_format, got: fancy']);
    const http = await t.http('/v2/logging', { method: 'POST', body: JSON.stringify({ log_format: 'fancy' }) });
    expect([http.status, (await http.json()).error]).toEqual([503, 'invalid argument for --log_format, got: fancy']);
    const httpFile = await t.http('/v2/logging', { method: 'POST', body: JSON.stringify({ log_file: 'x.log' }) });
    expect([httpFile.status, (await httpFile.json()).error]).toEqual([501, 'log file location can not be updated through network protocol']);
    const httpType = await t.http('/v2/logging', { method: 'POST', body: JSON.stringify({ log_verbose_level: -1 }) });
    expect([httpType.status, (await httpType.json()).error]).toEqual([
      400,
      "Unable to parse 'log_verbose_level': attempt to access JSON non-unsigned-integer as unsigned-integer",
    ]);
    expect(settings(await t.client.call('LogSettings', {}))).toMatchObject({ log_info: true, log_warning: true, log_format: 'default' });
    expect((await t.http('/v2/logging', { method: 'PUT' })).status).toBe(405);
  });
});

describe('what this server does not implement', () => {
  it('shared-memory and trace RPCs are UNIMPLEMENTED, naming what is missing', async () => {
    for (const [method, req, re] of [
      ['SystemSharedMemoryStatus', {}, /^system shared memory is not supported by this server; send tensor data in the request/],
      ['SystemSharedMemoryRegister', { name: 'r', key: '/k', byte_size: 64 }, /^system shared memory is not supported/],
      ['SystemSharedMemoryUnregister', {}, /^system shared memory is not supported/],
      ['CudaSharedMemoryStatus', {}, /^CUDA shared memory is not supported by this server/],
      ['CudaSharedMemoryRegister', { name: 'r' }, /^CUDA shared memory is not supported/],
      ['CudaSharedMemoryUnregister', {}, /^CUDA shared memory is not supported/],
      ['TraceSetting', {}, /^the trace extension is not supported by this server$/],
    ] as const) {
      const e = await t.client.fail(method, req);
      expect(e.code, method).toBe(Status.UNIMPLEMENTED);
      expect(e.details, method).toMatch(re);
    }
  });
});
