import { describe, expect, it } from 'vitest';
import { SERVE_FLAGS } from '../../src/cli/serve-flags.ts';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { tmpTree } from '../helpers/tmp.ts';

const CONFIG = `max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ 16 ] } ]
`;

describe('nereid CLI', () => {
  it('--help lists every flag with its default', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    for (const f of SERVE_FLAGS) expect(r.stdout).toContain(`--${f.name}`);
    expect(r.stdout).toMatch(/--http-port N\s+HTTP port .*\(default: 8000\)/);
    expect(r.stdout).toMatch(/--model-control-mode none\|poll\|explicit\s+Model control mode \(default: none\)/);
    expect(r.stdout).toMatch(/--http-max-input-size N\s+.*\(default: 67108864\)/);
    expect(runCli(['serve', '--help']).stdout).toContain('--model-repository');
  });

  it('an unknown flag or a bad value exits with code 2 and one line naming it', () => {
    const unknown = runCli(['serve', '--model-repository', '.', '--bogus-flag']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toEqual(["nereid: unknown flag '--bogus-flag' (see --help)"]);
    const bad = runCli(['serve', '--model-repository', '.', '--http-port', 'eighty']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("nereid: invalid value 'eighty' for --http-port: expected an integer");
    const range = runCli(['serve', '--model-repository', '.', '--http-port=70000']);
    expect(range.code).toBe(2);
    expect(range.stderr).toContain('--http-port');
    const mode = runCli(['serve', '--model-repository', '.', '--model-control-mode', 'sometimes']);
    expect(mode.stderr.trim()).toBe("nereid: invalid value 'sometimes' for --model-control-mode: expected one of none, poll, explicit");
    const bool = runCli(['serve', '--model-repository', '.', '--strict-readiness=maybe']);
    expect(bool.code).toBe(2);
    expect(runCli(['serve']).stderr.trim()).toBe('nereid: --model-repository must be specified');
    expect(runCli(['serve', '--model-repository', '/does/not/exist']).code).toBe(2);
    expect(runCli(['serve', '--model-repository', '.', '--load-model', 'x']).stderr.trim()).toBe(
      "nereid: Use of '--load-model' requires setting '--model-control-mode=explicit' as well.",
    );
  });

  it('exits 1 when a startup model fails (exit-on-error)', () => {
    const repo = tmpTree({ 'bad/config.pbtxt': 'oops {' });
    const r = runCli(['serve', '--model-repository', repo, '--http-port', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/failed to load all models/);
  });

  it('serves a repository on a free port, answers KServe requests and stops cleanly on SIGTERM', async () => {
    const repo = tmpTree({ 'add_sub/config.pbtxt': CONFIG, 'add_sub/1/model.onnx': addSubModel() });
    const srv = await startCli(['--model-repository', repo]);
    try {
      expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(srv.output()).toMatch(/successfully loaded 'add_sub' version 1/);
      expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(200);
      const a = Array.from({ length: 16 }, (_, i) => i);
      const res = await fetch(`${srv.url}/v2/models/add_sub/infer`, {
        method: 'POST',
        body: JSON.stringify({
          inputs: [
            { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: a },
            { name: 'INPUT1', shape: [1, 16], datatype: 'FP32', data: a },
          ],
        }),
      });
      expect((await res.json()).outputs[0].data).toEqual(a.map((x) => x * 2));
    } finally {
      const code = await srv.stop('SIGTERM');
      expect(code).toBe(0);
      expect(srv.output()).toMatch(/received SIGTERM, shutting down/);
      expect(srv.output()).toMatch(/server stopped/);
    }
  });

  it('SIGTERM under load: readiness drops, new requests get 503, in-flight ones finish, exit 0', async () => {
    const slow = `export async function execute(requests) {
      await new Promise((r) => setTimeout(r, 1500));
      return requests.map((r) => ({ outputs: { OUTPUT0: r.inputs.INPUT0 } }));
    }`;
    const repo = tmpTree({
      'slow/config.pbtxt':
        'backend: "js"\ninput { name: "INPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\noutput { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 1 ] }\n',
      'slow/1/model.js': slow,
    });
    const srv = await startCli(['--model-repository', repo]);
    const body = JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'INT32', data: [42] }] });
    const inflight = fetch(`${srv.url}/v2/models/slow/infer`, { method: 'POST', body });
    await new Promise((r) => setTimeout(r, 300));
    const exit = srv.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const ready = await fetch(`${srv.url}/v2/health/ready`);
    expect(ready.status).toBe(503);
    const late = await fetch(`${srv.url}/v2/models/slow/infer`, { method: 'POST', body });
    expect(late.status).toBe(503);
    expect((await late.json()).error).toBe('[request id: <id_unknown>] Server is stopping, scheduler for model has stopped accepting new inference requests');
    const done = await inflight;
    expect(done.status).toBe(200);
    expect((await done.json()).outputs[0].data).toEqual([42]);
    expect(await exit).toBe(0);
  });

  it('explicit mode loads --load-model models at startup; poll mode picks up new models on its own', async () => {
    const repo = tmpTree({ 'a/config.pbtxt': CONFIG, 'a/1/model.onnx': addSubModel(), 'b/config.pbtxt': CONFIG, 'b/1/model.onnx': addSubModel() });
    const explicit = await startCli(['--model-repository', repo, '--model-control-mode', 'explicit', '--load-model', 'b']);
    try {
      const index = await (await fetch(`${explicit.url}/v2/repository/index`, { method: 'POST' })).json();
      expect(index).toEqual([{ name: 'a' }, { name: 'b', version: '1', state: 'READY' }]);
    } finally {
      expect(await explicit.stop()).toBe(0);
    }
    const poll = await startCli(['--model-repository', repo, '--model-control-mode', 'poll', '--repository-poll-secs', '1']);
    try {
      const { writeTree } = await import('../helpers/tmp.ts');
      writeTree(repo, { 'c/config.pbtxt': CONFIG, 'c/1/model.onnx': addSubModel() });
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await fetch(`${poll.url}/v2/models/c/ready`)).status;
      }
      expect(status).toBe(200);
    } finally {
      expect(await poll.stop()).toBe(0);
    }
  });
});
