// What Kubernetes and KServe need of the server process: MODEL_INIT_MODE=async (KServe's model
// images: the repository appears after the server starts) and a read-only repository in every
// model control mode, with nothing ever written into it.
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { ADD_SUB_CONFIG, BIN, expectAddSubWorks, GRPC_KNOWN, startServe, waitForStatus } from './support.ts';

// gRPC (once the build has it) on a free port too, never its default 8001.
const LOOPBACK = ['--http-port=0', '--metrics-port=0', '--http-address=127.0.0.1', ...(GRPC_KNOWN ? ['--grpc-port=0', '--grpc-address=127.0.0.1'] : [])];

describe('MODEL_INIT_MODE=async (KServe model images)', () => {
  it('without it, a missing repository is still a usage error (exit 2, one line)', () => {
    const missing = join(tmpTree(), 'models');
    const r = spawnSync(process.execPath, [BIN, 'serve', `--model-repository=${missing}`, ...LOOPBACK], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`nereid: invalid value '${missing}' for --model-repository: repository path is not a valid directory`);
  });

  it('with it, the server listens at once, live but not ready, waits for the repository (a link that starts dangling) and loads it when it appears', async () => {
    const root = tmpTree();
    // As in a modelcar pod: /mnt/models is a link into the sidecar's file system, which is not there yet.
    const target = join(root, 'sidecar-root', 'models');
    const mount = join(root, 'mnt-models');
    symlinkSync(target, mount);
    const srv = await startServe([`--model-repository=${mount}`, ...LOOPBACK], { env: { MODEL_INIT_MODE: 'async' } });
    try {
      expect((await fetch(`${srv.url}/v2/health/live`)).status).toBe(200);
      expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(400);
      expect((await fetch(`${srv.url}/v2/models/add_sub/ready`)).status).not.toBe(200);
      expect(srv.output()).toMatch(/model repository '[^']*mnt-models' is not there yet; waiting for it \(MODEL_INIT_MODE=async\)/);
      await new Promise((r) => setTimeout(r, 700)); // at least one look at the still-missing directory
      expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(400);
      // The sidecar's files appear at once (written aside, then renamed into place).
      const staging = join(root, 'staging');
      mkdirSync(join(staging, 'add_sub', '1'), { recursive: true });
      writeFileSync(join(staging, 'add_sub', 'config.pbtxt'), ADD_SUB_CONFIG);
      writeFileSync(join(staging, 'add_sub', '1', 'model.onnx'), addSubModel());
      mkdirSync(join(root, 'sidecar-root'));
      renameSync(staging, target);
      await waitForStatus(`${srv.url}/v2/health/ready`, 200);
      expect((await fetch(`${srv.url}/v2/health/live`)).status).toBe(200);
      await expectAddSubWorks(srv.url);
      expect(await srv.stop('SIGTERM')).toBe(0);
    } finally {
      await srv.stop('SIGKILL');
    }
  });

  it('a SIGTERM while it waits ends the process at once with exit code 0', async () => {
    const missing = join(tmpTree(), 'never');
    const srv = await startServe([`--model-repository=${missing}`, ...LOOPBACK], { env: { MODEL_INIT_MODE: 'async' } });
    const started = Date.now();
    expect(await srv.stop('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(srv.output()).toMatch(/received SIGTERM before the models finished loading; exiting/);
  });
});

/** Every entry under `dir` with its size and modification time: equal before and after means nothing was written. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.push(`${relative(dir, p)} ${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs} ${st.mode.toString(8)}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

function setWritable(dir: string, writable: boolean): void {
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (lstatSync(p).isDirectory()) walk(p);
      else chmodSync(p, writable ? 0o644 : 0o444);
    }
    chmodSync(d, writable ? 0o755 : 0o555);
  };
  walk(dir);
}

describe('a read-only repository (KServe mounts /mnt/models read-only)', () => {
  /** add_sub with a config, and a model with only its ONNX file (its config is completed at load). */
  function readOnlyRepo(): { repo: string; before: string[] } {
    const repo = tmpTree({ 'add_sub/config.pbtxt': ADD_SUB_CONFIG, 'add_sub/1/model.onnx': addSubModel(), 'bare/1/model.onnx': addSubModel() });
    setWritable(repo, false);
    return { repo, before: listing(repo) };
  }
  const restore = (repo: string) => setWritable(repo, true); // so the temp dir can be removed

  for (const mode of ['none', 'poll'] as const) {
    it(`--model-control-mode=${mode}: loads, serves, ${mode === 'poll' ? 'polls, ' : ''}stops; nothing written into the repository`, async () => {
      const { repo, before } = readOnlyRepo();
      try {
        const srv = await startServe([`--model-repository=${repo}`, `--model-control-mode=${mode}`, '--repository-poll-secs=1', ...LOOPBACK]);
        try {
          expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(200);
          await expectAddSubWorks(srv.url);
          await expectAddSubWorks(srv.url, 'bare');
          if (mode === 'poll') await new Promise((r) => setTimeout(r, 1500)); // at least one poll
          expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(200);
          expect(await srv.stop('SIGTERM')).toBe(0);
        } finally {
          await srv.stop('SIGKILL');
        }
        expect(listing(repo)).toEqual(before);
      } finally {
        restore(repo);
      }
    });
  }

  it('--model-control-mode=explicit: load, load with a config override, unload; nothing written into the repository', async () => {
    const { repo, before } = readOnlyRepo();
    try {
      const srv = await startServe([`--model-repository=${repo}`, '--model-control-mode=explicit', ...LOOPBACK]);
      const post = (path: string, body: unknown) =>
        fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      try {
        expect((await post('/v2/repository/models/add_sub/load', {})).status).toBe(200);
        await expectAddSubWorks(srv.url);
        expect((await post('/v2/repository/models/bare/load', {})).status).toBe(200);
        await expectAddSubWorks(srv.url, 'bare');
        // A config override is kept in the server's temp directory, never beside the model.
        const override = { backend: 'onnxruntime', max_batch_size: 2 };
        expect((await post('/v2/repository/models/bare/load', { parameters: { config: JSON.stringify(override) } })).status).toBe(200);
        const config = (await fetch(`${srv.url}/v2/models/bare/config`).then((r) => r.json())) as { max_batch_size: number };
        expect(config.max_batch_size).toBe(2);
        for (const m of ['add_sub', 'bare']) expect((await post(`/v2/repository/models/${m}/unload`, {})).status).toBe(200);
        expect((await fetch(`${srv.url}/v2/models/add_sub/ready`)).status).not.toBe(200);
        expect(await srv.stop('SIGTERM')).toBe(0);
      } finally {
        await srv.stop('SIGKILL');
      }
      expect(listing(repo)).toEqual(before);
    } finally {
      restore(repo);
    }
  });
});
