import { clone, create } from '@bufbuild/protobuf';
import type { BackendInstance, DeviceKind, InstanceSpec, ModelSource } from '../backend/backend.ts';
import { chooseProviders, modelProvider, type PlatformProviders, type ProviderChoice, type ProviderPreference } from '../backend/providers.ts';
import type { BackendRegistry } from '../backend/registry.ts';
import type { Clock } from '../clock.ts';
import { sequenceBatching } from '../config/accessors.ts';
import { completeBackendFields, normalizeConfig } from '../config/complete.ts';
import { validateEnsembleGraph } from '../config/ensemble.ts';
import { type ModelConfig, ModelConfigSchema, ModelInstanceGroup_Kind } from '../config/gen/model_config_pb.ts';
import { parseConfigText } from '../config/parse.ts';
import { validateConfig } from '../config/validate.ts';
import { modelSpec } from '../config/model-spec.ts';
import { invalidArg, isServerError, unsupported } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { LoadRecorder } from '../metrics/load-history.ts';
import { type ModelId, ModelVersion } from '../model/model-version.ts';
import { verifyVersionChecksums } from '../repository/checksum-agent.ts';
import { joinPath } from '../repository/driver.ts';
import type { ModelDirectory, Repository } from '../repository/repository.ts';
import { EnsembleScheduler, type StepResolver } from '../scheduling/ensemble-scheduler.ts';
import { createScheduler } from '../scheduling/create.ts';
import { type StateSpec, stateSpecs } from '../scheduling/sequence-controls.ts';
import { ModelStats } from '../stats/model-stats.ts';
import { selectVersions } from './versions.ts';
import { warmUp } from './warmup.ts';

export interface LoaderContext {
  backends: BackendRegistry;
  clock: Clock;
  log: Logger;
  /** GPUs the execution backends can use. */
  gpuCount: number;
  /** CPU cores, to size intra-op threads per instance. */
  cpuCount: number;
  /** Fill missing config fields from the model file (Triton's default). */
  autoComplete: boolean;
  /** --model-config-name: use <model>/configs/<name>.pbtxt when present. */
  configName?: string;
  /** Default instance count of KIND_CPU onnxruntime groups (Triton: 2). */
  defaultCpuInstances?: number;
  /** --execution-provider. */
  executionProvider: ProviderPreference;
  /** What the platform offers (backends that use execution providers). */
  providers?: PlatformProviders;
  /** Told how each load attempt ended (metrics). */
  loads?: LoadRecorder;
}

/** A model's configuration as read from the repository (or override), before per-version completion. */
export interface ModelPlan {
  config: ModelConfig;
  versions: number[];
}

/** A model's directory and its config as written (or as overridden), before any completion. */
export interface ModelConfigRead {
  dir: ModelDirectory;
  config: ModelConfig;
}

/** Reads a model directory and parses its config.pbtxt (or configs/<name>.pbtxt), as a load does. */
export async function readModelConfig(
  ctx: Pick<LoaderContext, 'autoComplete' | 'configName'>,
  repo: Repository,
  name: string,
  override?: ModelConfig,
): Promise<ModelConfigRead> {
  const dir = await repo.readModelDirectory(name, ctx.configName);
  let config: ModelConfig;
  if (override) config = clone(ModelConfigSchema, override);
  else if (dir.configText !== undefined) config = parseConfigText(dir.configText, `${repo.label}/${dir.configPath}`);
  else if (ctx.autoComplete) config = create(ModelConfigSchema);
  else throw invalidArg(`model configuration file '${repo.label}/${dir.configPath}' is missing and auto-complete is disabled (--disable-auto-complete-config)`);
  return { dir, config };
}

/** Reads config and version directories and picks the versions to load (Triton's model "poll"). */
export async function planModel(ctx: LoaderContext, repo: Repository, name: string, override?: ModelConfig): Promise<ModelPlan> {
  const { dir, config } = await readModelConfig(ctx, repo, name, override);
  completeBackendFields(config, name, dir.firstVersionFiles);
  normalizeConfig(config, { gpuCount: ctx.gpuCount, defaultCpuInstances: ctx.defaultCpuInstances });
  return { config, versions: selectVersions(config, dir.versions, ctx.log) };
}

/** Builds one servable version: auto-complete, validation, labels, instances, scheduler. */
export async function loadVersion(
  ctx: LoaderContext,
  repo: Repository,
  id: ModelId,
  plan: ModelPlan,
  version: number,
  resolveStep?: StepResolver,
): Promise<ModelVersion> {
  const config = clone(ModelConfigSchema, plan.config);
  const modelDir = joinPath(id.name);
  const versionDir = joinPath(id.name, String(version));
  const driver = repo.driver;
  const source: ModelSource = {
    namespace: id.namespace,
    name: id.name,
    version,
    config,
    readFile: (p) => driver.read(joinPath(versionDir, p)),
    readModelFile: (p) => driver.read(joinPath(modelDir, p)),
    localPath: driver.localPath ? (p) => driver.localPath!(joinPath(versionDir, p)) : undefined,
    log: ctx.log,
  };
  // The checksum repository agent: a file that is not what the config says fails this version's load.
  await verifyVersionChecksums(config, driver, modelDir, version);
  if (config.platform === 'ensemble') {
    if (!resolveStep) throw unsupported(`ensemble '${id.name}' needs its composing models`);
    validateConfig(config, { gpuCount: ctx.gpuCount });
    validateEnsembleGraph(config);
    const stats = new ModelStats();
    const scheduler = new EnsembleScheduler(config, resolveStep, ctx.clock);
    return new ModelVersion({ id, version, config, labels: await readLabels(source, config), instances: [], scheduler, stats, clock: ctx.clock });
  }
  const backend = ctx.backends.get(config.backend, id.name);
  const wanted = backend.usesProviders && ctx.providers ? modelProvider(config) : undefined;
  const choose = (kind: DeviceKind) => chooseProviders({ kind, model: wanted, server: ctx.executionProvider, platform: ctx.providers! });
  if (backend.usesProviders && ctx.providers) source.providers = await choose('CPU');
  validateConfig(config, { gpuCount: ctx.gpuCount, checkIO: false });
  if (ctx.autoComplete && backend.autoComplete) await backend.autoComplete(source);
  normalizeConfig(config, { gpuCount: ctx.gpuCount, defaultCpuInstances: ctx.defaultCpuInstances });
  validateConfig(config, { gpuCount: ctx.gpuCount });
  const labels = await readLabels(source, config);
  const instances = await createInstances(ctx, source, config, backend, backend.usesProviders && ctx.providers ? choose : undefined);
  try {
    await warmUp(source, config, instances);
  } catch (e) {
    await Promise.allSettled(instances.map((i) => i.dispose()));
    throw e;
  }
  const stats = new ModelStats();
  const states = await readStates(source, config);
  const spec = modelSpec(config);
  const scheduler = createScheduler(config, spec, instances, ctx.clock, stats, ctx.log, states);
  const details: Record<string, string> = { execution_provider: [...new Set(instances.map((i) => i.device))].join(',') };
  const fallback = [...new Set(instances.map((i) => i.fallback).filter(Boolean))].join('; ');
  if (fallback) details.fallback_reason = fallback;
  return new ModelVersion({ id, version, config, spec, labels, instances, scheduler, stats, clock: ctx.clock, details });
}

async function readLabels(source: ModelSource, config: ModelConfig): Promise<Map<string, string[]>> {
  const labels = new Map<string, string[]>();
  for (const out of config.output) {
    if (!out.labelFilename) continue;
    let path: string;
    try {
      path = joinPath(out.labelFilename);
    } catch {
      throw unsupported(`label file path '${out.labelFilename}' for output '${out.name}' in model '${config.name}' is outside model directory`);
    }
    try {
      const text = new TextDecoder().decode(await source.readModelFile(path));
      const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
      if (lines[lines.length - 1] === '') lines.pop();
      labels.set(out.name, lines);
    } catch (e) {
      if (isServerError(e) && e.code === 'NOT_FOUND')
        throw invalidArg(`unable to read label file '${out.labelFilename}' for output '${out.name}' of model '${config.name}': file not found`);
      throw e;
    }
  }
  return labels;
}

async function createInstances(
  ctx: LoaderContext,
  source: ModelSource,
  config: ModelConfig,
  backend: ReturnType<BackendRegistry['get']>,
  choose?: (kind: DeviceKind) => Promise<ProviderChoice>,
): Promise<BackendInstance[]> {
  const specs: InstanceSpec[] = [];
  const choices = new Map<DeviceKind, Promise<ProviderChoice>>();
  for (const g of config.instanceGroup) {
    const kind: DeviceKind = g.kind === ModelInstanceGroup_Kind.GPU ? 'GPU' : g.kind === ModelInstanceGroup_Kind.MODEL ? 'MODEL' : 'CPU';
    if (choose && !choices.has(kind)) choices.set(kind, choose(kind));
    const providers = await choices.get(kind);
    const devices = kind === 'GPU' ? (g.gpus.length > 0 ? g.gpus : [0]) : [0];
    for (const deviceId of devices) {
      for (let i = 0; i < g.count; i++) specs.push({ name: `${g.name}_${specs.length}`, kind, deviceId, providers });
    }
  }
  const threads = Math.max(1, Math.floor(ctx.cpuCount / Math.max(1, specs.length)));
  const settled = await Promise.allSettled(specs.map((s) => backend.createInstance(source, { ...s, threads })));
  const created = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(created.map((i) => i.dispose()));
    throw (failed as PromiseRejectedResult).reason;
  }
  return created;
}

/** Implicit-state specs, with initial_state data files (under <model>/initial_state/) read. */
async function readStates(source: ModelSource, config: ModelConfig): Promise<StateSpec[]> {
  const sb = sequenceBatching(config);
  if (!sb) return [];
  const specs = stateSpecs(sb);
  return Promise.all(
    specs.map(async (spec, i) => {
      const init = sb.state[i]!.initialState[0];
      if (init?.stateData.case !== 'dataFile') return spec;
      try {
        return { ...spec, initial: await source.readModelFile(joinPath('initial_state', init.stateData.value)) };
      } catch (e) {
        throw invalidArg(
          `unable to read initial state file '${init.stateData.value}' for state '${spec.input}' of model '${config.name}': ${(e as Error).message}`,
        );
      }
    }),
  );
}
