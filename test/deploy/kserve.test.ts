// deploy/kserve: the runtimes' shape (what KServe requires of a serving runtime), their args
// against `nereid serve`'s flag table, and the multi-model runtime driven end to end the way
// KServe's TrainedModel agent drives it: files into <repo>/<name>/ with a SUCCESS.<sha256>
// marker, POST .../load {}, inference, directory deleted, POST .../unload {}; twenty times, with
// the server's resident memory measured.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlpModel, mlpWeights } from '../../src/tools/onnx/models.ts';
import { tmpTree } from '../helpers/tmp.ts';
import {
  addSubRepo,
  type Doc,
  effectiveArgs,
  expectAddSubWorks,
  GRPC_KNOWN,
  kustomize,
  ofKind,
  parseServeArgs,
  remapArgs,
  rssBytes,
  type ServeProcess,
  startServe,
} from './support.ts';

const docs = kustomize('deploy/kserve');
const runtimes = ofKind(docs, 'ClusterServingRuntime');
const single = runtimes.find((r) => !r.spec.multiModel)!;
const multi = runtimes.find((r) => r.spec.multiModel)!;
const containerOf = (r: Doc) => r.spec.containers[0];
const flagsOf = (r: Doc) => parseServeArgs(effectiveArgs(containerOf(r).args));

describe('KServe runtimes (deploy/kserve)', () => {
  it('render: two ClusterServingRuntimes, two InferenceServices, one TrainedModel', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(['ClusterServingRuntime', 'ClusterServingRuntime', 'InferenceService', 'InferenceService', 'TrainedModel']);
  });

  it('each runtime is droppable into KServe: kserve-container on 8080, /mnt/models, metrics annotations matching --metrics-port, v2 formats, probes, securityContext', () => {
    for (const r of [single, multi]) {
      const c = containerOf(r);
      const flags = flagsOf(r); // throws the CLI's message for an unknown flag or a bad value
      expect(c.name).toBe('kserve-container');
      expect(c.command).toBeUndefined();
      expect(flags['http-port']).toBe(8080);
      expect(c.ports.map((p: Doc) => p.containerPort)).toEqual([8080]);
      expect(flags['model-repository']).toEqual(['/mnt/models']);
      expect(r.spec.annotations['prometheus.kserve.io/port']).toBe(String(flags['metrics-port']));
      expect(r.spec.annotations['prometheus.kserve.io/path']).toBe('/metrics');
      expect(r.spec.supportedModelFormats).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'onnx', autoSelect: true }), expect.objectContaining({ name: 'triton' })]),
      );
      expect(r.spec.protocolVersions).toContain('v2');
      // grpc-v2 is declared exactly when the container serves gRPC.
      const grpcArg = c.args.find((a: string) => a.startsWith('--grpc-port='));
      expect(r.spec.protocolVersions.includes('grpc-v2')).toBe(grpcArg !== undefined);
      if (GRPC_KNOWN) expect(flags['grpc-port']).toBe(Number(grpcArg.split('=')[1]));
      expect(c.readinessProbe.httpGet).toEqual({ path: '/v2/health/ready', port: 8080 });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/v2/health/live', port: 8080 });
      expect(c.startupProbe.httpGet).toEqual({ path: '/v2/health/ready', port: 8080 });
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      const tmp = c.volumeMounts.find((m: Doc) => m.mountPath === '/tmp');
      expect(r.spec.volumes.find((v: Doc) => v.name === tmp.name).emptyDir).toBeDefined();
    }
  });

  it('the multi-model runtime runs EXPLICIT with no startup models and readiness not tied to any one model', () => {
    const flags = flagsOf(multi);
    expect(flags['model-control-mode']).toBe('explicit');
    expect(flags['load-model']).toEqual([]);
    expect(flags['strict-readiness']).toBe(false);
    expect(flagsOf(single)['model-control-mode']).toBe('none');
  });

  it('the InferenceServices and the TrainedModel refer to the runtimes and to each other', () => {
    const isvcs = ofKind(docs, 'InferenceService');
    const withUri = isvcs.find((i) => i.spec.predictor.model.storageUri)!;
    const withoutUri = isvcs.find((i) => !i.spec.predictor.model.storageUri)!;
    expect(withUri.spec.predictor.model.runtime).toBe(single.metadata.name);
    expect(withUri.spec.predictor.model.storageUri).toMatch(/^(s3|gs|https?|pvc|oci|hf):\/\//);
    expect(single.spec.supportedModelFormats.map((f: Doc) => f.name)).toContain(withUri.spec.predictor.model.modelFormat.name);
    expect(withoutUri.spec.predictor.model.runtime).toBe(multi.metadata.name);
    const [tm] = ofKind(docs, 'TrainedModel');
    expect(tm!.spec.inferenceService).toBe(withoutUri.metadata.name);
    expect(tm!.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(tm!.spec.model.framework).toBe('onnx');
  });

  describe('the single-model runtime, started with its args (ports and repository remapped)', () => {
    let srv: ServeProcess;
    beforeAll(async () => {
      srv = await startServe(remapArgs(effectiveArgs(containerOf(single).args), addSubRepo()));
    });
    afterAll(() => srv?.stop('SIGKILL'));

    it('answers its probes and serves the repository', async () => {
      const c = containerOf(single);
      for (const p of [c.startupProbe, c.readinessProbe, c.livenessProbe]) expect((await fetch(`${srv.url}${p.httpGet.path}`)).status).toBe(200);
      await expectAddSubWorks(srv.url);
      expect(await srv.stop('SIGTERM')).toBe(0);
    });
  });
});

const WIDTH = 1024;
const LAYERS = 2;
// No `name`: the directory (the TrainedModel's name) names the model.
const MLP_CONFIG = `backend: "onnxruntime"
max_batch_size: 4
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ ${WIDTH} ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ ${WIDTH} ] } ]
instance_group [ { kind: KIND_CPU count: 1 } ]
`;

/** OUTPUT0 = Relu(Relu(x W0) W1), in float64 from the generator's weights. */
function mlpReference(x: number[]): number[] {
  let v = x;
  for (const w of mlpWeights({ layers: LAYERS, width: WIDTH })) {
    const next = new Array<number>(WIDTH).fill(0);
    for (let i = 0; i < WIDTH; i++) {
      const xi = v[i]!;
      if (xi === 0) continue;
      for (let j = 0; j < WIDTH; j++) next[j]! += xi * w[i * WIDTH + j]!;
    }
    v = next.map((y) => Math.max(0, y));
  }
  return v;
}

describe("KServe's TrainedModel agent, played against the multi-model runtime's args", () => {
  let srv: ServeProcess;
  let repo: string;
  const model = mlpModel({ layers: LAYERS, width: WIDTH }); // 8 MB of weights: a leaked session would show in RSS
  const x = Array.from({ length: WIDTH }, (_, i) => Math.sin(i * 0.37));
  const expected = mlpReference(x);
  const post = (path: string, body: unknown) =>
    fetch(`${srv.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    repo = tmpTree({}, 'nereid-mnt-models-');
    srv = await startServe(remapArgs(effectiveArgs(containerOf(multi).args), repo));
  });
  afterAll(() => srv?.stop('SIGKILL'));

  /** What the agent does for a TrainedModel: download into <repo>/<name>/, mark it, load it. */
  async function agentAdd(name: string): Promise<Response> {
    const spec = { storageUri: `s3://models-bucket/${name}`, framework: 'onnx', memory: '256Mi' };
    const dir = join(repo, name);
    mkdirSync(join(dir, '1'), { recursive: true });
    writeFileSync(join(dir, 'config.pbtxt'), MLP_CONFIG);
    writeFileSync(join(dir, '1', 'model.onnx'), model);
    writeFileSync(join(dir, `SUCCESS.${createHash('sha256').update(JSON.stringify(spec)).digest('hex')}`), '');
    return post(`/v2/repository/models/${name}/load`, {});
  }

  /** What the agent does on removal: delete the directory first, then unload. */
  function agentRemove(name: string): Promise<Response> {
    rmSync(join(repo, name), { recursive: true, force: true });
    return post(`/v2/repository/models/${name}/unload`, {});
  }

  async function inferOnce(name: string): Promise<Response> {
    return post(`/v2/models/${name}/infer`, { inputs: [{ name: 'INPUT0', shape: [1, WIDTH], datatype: 'FP32', data: x }] });
  }

  it('the pod is ready with no model loaded (the agent loads them later)', async () => {
    expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(200);
    expect(await post('/v2/repository/index', {}).then((r) => r.json())).toEqual([]);
  });

  it('load with body {} beside the SUCCESS marker, infer correctly; delete then unload: the model is gone; 20 cycles without memory growth', async () => {
    const name = 'mlp-small';
    const rss: number[] = [];
    for (let cycle = 1; cycle <= 20; cycle++) {
      const load = await agentAdd(name);
      expect(load.status, await load.clone().text()).toBe(200);
      expect((await fetch(`${srv.url}/v2/models/${name}/ready`)).status).toBe(200);
      const res = await inferOnce(name);
      expect(res.status).toBe(200);
      const out = ((await res.json()) as { outputs: { name: string; data: number[] }[] }).outputs[0]!;
      expect(out.name).toBe('OUTPUT0');
      const err = Math.max(...out.data.map((v, i) => Math.abs(v - expected[i]!)));
      expect(err).toBeLessThan(1e-3 * Math.max(1, ...expected.map(Math.abs)));

      const unload = await agentRemove(name);
      expect(unload.status, await unload.clone().text()).toBe(200);
      // Gone: not ready, inference refused, no READY entry in the index.
      expect([400, 404]).toContain((await fetch(`${srv.url}/v2/models/${name}/ready`)).status);
      const after = await inferOnce(name);
      expect([400, 404]).toContain(after.status);
      const index = (await post('/v2/repository/index', {}).then((r) => r.json())) as { name: string; state?: string }[];
      expect(index.filter((e) => e.name === name && e.state === 'READY')).toEqual([]);
      rss.push(rssBytes(srv.pid));
    }
    // RSS after each cycle moves by ±25 MB here (each load allocates a session, freed lazily), so
    // compare means: cycles 4-8 (allocators warm) against cycles 16-20. A session that is never
    // freed costs about 28 MB with this model (measured: twenty copies loaded without unloading
    // took RSS from 179 to 740 MB), about 300 MB between those means; 40 MB leaves room for noise
    // on a busy machine and still catches a leak of a fifth of a session per cycle.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const growth = mean(rss.slice(15, 20)) - mean(rss.slice(3, 8));
    expect(growth, `RSS by cycle (MB): ${rss.map((b) => (b / 2 ** 20).toFixed(1)).join(' ')}`).toBeLessThan(40 * 2 ** 20);
  }, 120_000);

  it('the inference error for an unloaded model is the one Triton gives', async () => {
    const res = await inferOnce('mlp-small');
    expect(await res.json()).toEqual({ error: expect.stringMatching(/mlp-small/) });
  });
});
