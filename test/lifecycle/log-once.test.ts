import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../src/core/index.ts';
import { createServer, type InferenceServer } from '../../src/platform/node/index.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { runCli } from '../helpers/cli.ts';
import { tmpTree } from '../helpers/tmp.ts';

const CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;
const NOT_ONNX = 'this is not an ONNX file';

/** A server whose log lines are kept: `problems()` are its error and warning lines. */
async function serverWithLog(opts: Partial<Parameters<typeof createServer>[0]> & { repositories: string[] }) {
  const lines: { line: string; level: LogLevel }[] = [];
  const log = createLogger({ write: (line, level) => lines.push({ line, level }) });
  const server = await createServer({ cuda: { available: false, deviceCount: 0, reason: 'tests run on CPU' }, cpuCount: 2, pollIntervalMs: 0, log, ...opts });
  return { server, problems: () => lines.filter((l) => l.level === 'error' || l.level === 'warn').map((l) => l.line) };
}

/** The lines that mention `needle`. */
const mentioning = (lines: string[], needle: string) => lines.filter((l) => l.includes(needle));

describe('each failure is logged once', () => {
  let server: InferenceServer | undefined;
  afterEach(async () => {
    await server?.stop(0);
    server = undefined;
  });

  it('a model that fails to load at startup: one error line with the reason, none repeating it', async () => {
    const repo = tmpTree({ 'broken/config.pbtxt': CONFIG, 'broken/1/model.onnx': NOT_ONNX, 'good/config.pbtxt': CONFIG, 'good/1/model.onnx': addSubModel() });
    const s = await serverWithLog({ repositories: [repo], exitOnError: false });
    server = s.server;
    await server.start();
    const [entry] = (await server.index()).filter((e) => e.name === 'broken');
    expect(entry!.state).toBe('UNAVAILABLE');
    // The reason the index gives is in exactly one logged line.
    expect(mentioning(s.problems(), entry!.reason!)).toHaveLength(1);
    expect(mentioning(s.problems(), "'broken'")).toHaveLength(1);
  });

  it('with exit-on-error the start fails, and the reason is still logged once', async () => {
    const repo = tmpTree({ 'broken/config.pbtxt': CONFIG, 'broken/1/model.onnx': NOT_ONNX });
    const s = await serverWithLog({ repositories: [repo] });
    server = s.server;
    await expect(server.start()).rejects.toThrow('failed to load all models');
    expect(mentioning(s.problems(), "'broken'")).toHaveLength(1);
  });

  it('startup failures found before any load (missing --load-model, a name in two repositories) are logged once each', async () => {
    const a = tmpTree({ 'dup/config.pbtxt': CONFIG, 'dup/1/model.onnx': addSubModel() });
    const b = tmpTree({ 'dup/config.pbtxt': CONFIG, 'dup/1/model.onnx': addSubModel() });
    const s = await serverWithLog({ repositories: [a, b], controlMode: 'explicit', startupModels: ['ghost', 'dup'], exitOnError: false });
    server = s.server;
    await server.start();
    expect(mentioning(s.problems(), "'ghost'")).toHaveLength(1);
    expect(mentioning(s.problems(), "'dup'")).toHaveLength(1);
  });

  it('a failed reload in POLL mode: one error line, the previous version keeps serving', async () => {
    const repo = tmpTree({ 'm/config.pbtxt': CONFIG, 'm/1/model.onnx': addSubModel() });
    const s = await serverWithLog({ repositories: [repo], controlMode: 'poll' });
    server = s.server;
    await server.start();
    expect(s.problems()).toEqual([]);
    writeFileSync(join(repo, 'm/1/model.onnx'), NOT_ONNX);
    await server.manager.poll();
    const [entry] = await server.index();
    expect(entry!.state).toBe('READY');
    expect(entry!.reason).toMatch(/^reload failed, previous version keeps serving: /);
    expect(mentioning(s.problems(), "'m'")).toHaveLength(1);
  });

  it('nereid serve: the reason once, then one line saying it exits', () => {
    const repo = tmpTree({ 'broken/config.pbtxt': CONFIG, 'broken/1/model.onnx': NOT_ONNX });
    const r = runCli(['serve', '--model-repository', repo, '--http-port', '0', '--metrics-port', '0', '--grpc-port', '0', '--http-address', '127.0.0.1']);
    expect(r.code).toBe(1);
    const errors = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.startsWith('E '));
    expect(errors).toHaveLength(2);
    expect(mentioning(errors, "'broken'")).toHaveLength(1);
    expect(errors[1]).toMatch(/failed to load all models; exiting/);
  });
});
