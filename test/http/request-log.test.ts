import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../src/core/index.ts';
import { createHttpApp, createServer, type InferenceServer } from '../../src/platform/node/index.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { startCli } from '../helpers/cli.ts';
import { tmpTree } from '../helpers/tmp.ts';

const CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;
const data = Array.from({ length: 16 }, (_, i) => i);
const INFER = { method: 'POST', body: JSON.stringify({ inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, shape: [1, 16], datatype: 'FP32', data })) }) };

let repo: string;
let server: InferenceServer;
const lines: { line: string; level: LogLevel }[] = [];
/** A logger writing into `lines`, as `--log-verbose N --log-format F` makes one. */
const logger = (verbose: number, format: 'default' | 'json' = 'json') => createLogger({ verbose, format, write: (line, level) => lines.push({ line, level }) });

beforeAll(async () => {
  repo = tmpTree({
    'add_sub/config.pbtxt': `${CONFIG}version_policy: { all { } }\n`,
    'add_sub/1/model.onnx': addSubModel(),
    'add_sub/2/model.onnx': addSubModel(),
  });
  server = await createServer({ repositories: [repo], cuda: { available: false, deviceCount: 0, reason: 'tests run on CPU' }, cpuCount: 2 });
  await server.start();
});
afterAll(() => server.stop(0));

/** Requests through an app whose server logs with `log`; returns the verbose lines they wrote. */
async function verboseLines(log: ReturnType<typeof logger>, requests: [string, RequestInit?][]): Promise<string[]> {
  const app = createHttpApp(Object.assign(Object.create(server) as InferenceServer, { log }));
  lines.length = 0;
  for (const [path, init] of requests) await app.request(path, init);
  return lines.filter((l) => l.level === 'verbose').map((l) => l.line);
}

describe('--log-verbose 1: one line per request', () => {
  it('model, the version that served, status and duration for each request', async () => {
    const out = (
      await verboseLines(logger(1), [
        ['/v2/models/add_sub/infer', INFER],
        ['/v2/models/add_sub/versions/1/infer', INFER],
        ['/v2/models/nope/infer', INFER],
        ['/v2/health/ready'],
      ])
    ).map((l) => JSON.parse(l));
    expect(out).toHaveLength(4);
    for (const l of out) {
      expect(l.level).toBe('verbose');
      expect(typeof l.duration_ms).toBe('number');
      expect(l.duration_ms).toBeGreaterThanOrEqual(0);
    }
    // Without a version in the path, the line names the one that answered (the latest, 2).
    expect(out[0]).toMatchObject({ msg: 'HTTP POST /v2/models/add_sub/infer', status: 200, model: 'add_sub', version: '2' });
    expect(out[1]).toMatchObject({ msg: 'HTTP POST /v2/models/add_sub/versions/1/infer', status: 200, model: 'add_sub', version: '1' });
    expect(out[2]).toMatchObject({ msg: 'HTTP POST /v2/models/nope/infer', status: 404, model: 'nope' });
    expect(out[2].version).toBeUndefined();
    expect(out[3]).toMatchObject({ msg: 'HTTP GET /v2/health/ready', status: 200 });
    expect(out[3].model).toBeUndefined();
  });

  it('in the default format the line reads as text with the details after it', async () => {
    const [line] = await verboseLines(logger(2, 'default'), [['/v2/models/add_sub/versions/1/ready']]);
    expect(line).toMatch(/^V \S+ HTTP GET \/v2\/models\/add_sub\/versions\/1\/ready \{"status":200,"duration_ms":[\d.]+,"model":"add_sub","version":"1"\}$/);
  });

  it('at level 0 (the default) nothing is logged per request', async () => {
    expect(await verboseLines(logger(0), [['/v2/models/add_sub/infer', INFER], ['/v2/health/ready']])).toEqual([]);
  });

  it('nereid serve --log-verbose 1 writes the line for a real request', async () => {
    const cli = await startCli(['--model-repository', repo, '--log-verbose', '1']);
    try {
      const res = await fetch(`${cli.url}/v2/models/add_sub/infer`, INFER);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100));
      expect(cli.output()).toMatch(/^V \S+ HTTP POST \/v2\/models\/add_sub\/infer \{"status":200,"duration_ms":[\d.]+,"model":"add_sub","version":"2"\}$/m);
    } finally {
      await cli.stop();
    }
  });
});
