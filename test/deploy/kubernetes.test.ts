// deploy/kubernetes rendered by `kubectl kustomize` and checked against the CLI: every container
// argument is a `nereid serve` flag with a valid value, the probes name the port the server
// listens on, and the real server started with exactly those arguments answers each probe.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addSubRepo,
  type Doc,
  effectiveArgs,
  expectAddSubWorks,
  freePort,
  GRPC_KNOWN,
  kustomize,
  ofKind,
  parseServeArgs,
  parseYaml,
  readYaml,
  remapArgs,
  type ServeProcess,
  startServe,
} from './support.ts';

const OVERLAYS = ['cpu', 'cuda'] as const;
const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, kustomize(`deploy/kubernetes/overlays/${o}`)])) as Record<(typeof OVERLAYS)[number], Doc[]>;
const deployment = (o: (typeof OVERLAYS)[number]) => ofKind(rendered[o], 'Deployment')[0]!;
const container = (o: (typeof OVERLAYS)[number]) => deployment(o).spec.template.spec.containers[0];

/** A probe's or Service's port (a number or a container port name) as a container port number. */
function containerPort(c: Doc, port: number | string): number {
  if (typeof port === 'number') return port;
  const p = c.ports.find((x: Doc) => x.name === port);
  if (!p) throw new Error(`no container port named '${port}'`);
  return p.containerPort;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  it('each overlay renders a Deployment, Service, PodDisruptionBudget and queue-time HPA; the CUDA one asks for a GPU', () => {
    for (const o of OVERLAYS) {
      expect(rendered[o].map((d) => d.kind).sort()).toEqual(['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service']);
    }
    expect(container('cpu').image).toMatch(/nereid:[^:]+$/);
    expect(container('cpu').resources.limits['nvidia.com/gpu']).toBeUndefined();
    expect(container('cuda').image).toMatch(/-cuda$/);
    expect(container('cuda').resources.limits['nvidia.com/gpu']).toBe('1');
  });

  it('container args are `nereid serve` flags with valid values, after the image entrypoint (no command override)', () => {
    for (const o of OVERLAYS) {
      const c = container(o);
      expect(c.command).toBeUndefined(); // keeps the image's exec-form `node bin/nereid.mjs`
      expect(() => parseServeArgs(effectiveArgs(c.args))).not.toThrow();
      const flags = parseServeArgs(effectiveArgs(c.args));
      // The repository is the read-only `models` mount.
      const mount = c.volumeMounts.find((m: Doc) => m.name === 'models');
      expect(mount.readOnly).toBe(true);
      expect(flags['model-repository']).toEqual([mount.mountPath]);
      const volume = deployment(o).spec.template.spec.volumes.find((v: Doc) => v.name === 'models');
      expect(volume.persistentVolumeClaim.readOnly).toBe(true);
      // Ports: the named container ports are what the server listens on.
      expect(containerPort(c, 'http')).toBe(flags['http-port']);
      expect(containerPort(c, 'metrics')).toBe(flags['metrics-port']);
      if (GRPC_KNOWN) expect(containerPort(c, 'grpc')).toBe(flags['grpc-port']);
      expect(containerPort(c, 'grpc')).toBe(8001);
    }
    // The check itself refuses what the CLI refuses.
    expect(() => parseServeArgs(['serve', '--model-repository=/m', '--http-port=http'])).toThrow(/expected an integer/);
    expect(() => parseServeArgs(['serve', '--no-such-flag'])).toThrow(/unknown flag/);
    expect(() => parseServeArgs(['--model-repository=/m'])).toThrow(/'serve'/);
  });

  it('probes: startup and readiness on /v2/health/ready, liveness on /v2/health/live, all on the HTTP port; startup allows minutes to load', () => {
    for (const o of OVERLAYS) {
      const c = container(o);
      const http = parseServeArgs(effectiveArgs(c.args))['http-port'];
      expect(c.startupProbe.httpGet.path).toBe('/v2/health/ready');
      expect(c.readinessProbe.httpGet.path).toBe('/v2/health/ready');
      expect(c.livenessProbe.httpGet.path).toBe('/v2/health/live');
      for (const p of [c.startupProbe, c.readinessProbe, c.livenessProbe]) expect(containerPort(c, p.httpGet.port)).toBe(http);
      expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(300);
      // Liveness must not restart a slow but healthy process quickly.
      expect(c.livenessProbe.periodSeconds * c.livenessProbe.failureThreshold).toBeGreaterThanOrEqual(30);
    }
  });

  it('shutdown: grace period > preStop sleep + --exit-timeout-secs (the server drains within the grace period)', () => {
    for (const o of OVERLAYS) {
      const spec = deployment(o).spec.template.spec;
      const c = container(o);
      const exitTimeout = parseServeArgs(effectiveArgs(c.args))['exit-timeout-secs'] as number;
      expect(c.args).toContain(`--exit-timeout-secs=${exitTimeout}`);
      const sleep = c.lifecycle.preStop.sleep.seconds;
      expect(sleep).toBeGreaterThan(0);
      expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(sleep + exitTimeout);
    }
  });

  it('security: non-root, read-only root file system, no capabilities, no privilege escalation; /tmp is an emptyDir', () => {
    for (const o of OVERLAYS) {
      const spec = deployment(o).spec.template.spec;
      const c = container(o);
      expect(spec.securityContext.runAsNonRoot).toBe(true);
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      const tmp = c.volumeMounts.find((m: Doc) => m.mountPath === '/tmp');
      expect(spec.volumes.find((v: Doc) => v.name === tmp.name).emptyDir).toBeDefined();
      expect(spec.automountServiceAccountToken).toBe(false);
    }
  });

  it('Service, PodDisruptionBudget and HPA select the Deployment and its named ports', () => {
    for (const o of OVERLAYS) {
      const d = deployment(o);
      const labels = d.spec.template.metadata.labels;
      const [svc] = ofKind(rendered[o], 'Service');
      const [pdb] = ofKind(rendered[o], 'PodDisruptionBudget');
      const [hpa] = ofKind(rendered[o], 'HorizontalPodAutoscaler');
      expect(matches(d.spec.selector.matchLabels, labels)).toBe(true);
      expect(matches(svc!.spec.selector, labels)).toBe(true);
      expect(matches(pdb!.spec.selector.matchLabels, labels)).toBe(true);
      expect(hpa!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name });
      expect(hpa!.spec.minReplicas).toBeGreaterThanOrEqual(2); // with maxUnavailable 1, one pod keeps serving during a drain
      const names = Object.fromEntries(svc!.spec.ports.map((p: Doc) => [p.name, containerPort(container(o), p.targetPort)]));
      expect(names).toEqual({ http: 8000, grpc: 8001, metrics: 8002 });
      expect(svc!.spec.ports.find((p: Doc) => p.name === 'grpc').appProtocol).toBe('kubernetes.io/h2c');
    }
  });

  it("the HPA's Pods metric is the one the prometheus-adapter rule serves, derived from queue time per request", () => {
    const [hpa] = ofKind(rendered.cpu, 'HorizontalPodAutoscaler');
    const metric = hpa!.spec.metrics[0];
    expect(metric.type).toBe('Pods');
    const [cm] = readYaml('deploy/kubernetes/components/queue-time-autoscaling/prometheus-adapter-rules.yaml');
    // The adapter's own configuration is YAML inside the ConfigMap.
    const rules = parseYaml(cm!.data['config.yaml'])[0]!.rules as Doc[];
    const rule = rules.find((r) => r.name.as === metric.pods.metric.name);
    expect(rule, `an adapter rule named ${metric.pods.metric.name}`).toBeDefined();
    expect(rule!.metricsQuery).toMatch(/nv_inference_queue_duration_us/);
    expect(rule!.metricsQuery).toMatch(/nv_inference_request_success/);
    expect(rule!.resources.overrides.pod.resource).toBe('pod');
  });

  describe('the server started with exactly the Deployment args (ports and repository remapped)', () => {
    let srv: ServeProcess;
    let grpcPort: number;
    const args = effectiveArgs(container('cpu').args);
    beforeAll(async () => {
      grpcPort = await freePort();
      srv = await startServe(remapArgs(args, addSubRepo(), grpcPort));
    });
    afterAll(() => srv?.stop('SIGKILL'));

    it('answers every probe path with 200, serves the model, and exports metrics', async () => {
      const c = container('cpu');
      for (const p of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
        const res = await fetch(`${srv.url}${p.httpGet.path}`);
        expect(res.status, p.httpGet.path).toBe(200);
      }
      await expectAddSubWorks(srv.url);
      const metrics = await fetch(`${srv.metricsUrl}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/^nv_inference_request_success\{model="add_sub",version="1"[^}]*\} 1$/m);
      // --log-format=json, as the manifest asks: every line a JSON object.
      for (const line of srv.output().trim().split('\n')) expect(() => JSON.parse(line), line).not.toThrow();
    });

    it.runIf(GRPC_KNOWN)('listens for gRPC on the port the manifest gives --grpc-port', async () => {
      await new Promise<void>((done, fail) => {
        const s = connect(grpcPort, '127.0.0.1', () => {
          s.end();
          done();
        });
        s.once('error', fail);
      });
    });

    it('drains on SIGTERM and exits 0 within --exit-timeout-secs', async () => {
      const started = Date.now();
      expect(await srv.stop('SIGTERM')).toBe(0);
      const exitTimeout = parseServeArgs(args)['exit-timeout-secs'] as number;
      expect(Date.now() - started).toBeLessThan(exitTimeout * 1000);
    });
  });
});
