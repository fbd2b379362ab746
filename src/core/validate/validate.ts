import { clone } from '@bufbuild/protobuf';
import type { ModelSource } from '../backend/backend.ts';
import { ensembleScheduling } from '../config/accessors.ts';
import { completeBackendFields } from '../config/complete.ts';
import { type ModelConfig, ModelConfigSchema } from '../config/gen/model_config_pb.ts';
import { internal, toServerError } from '../errors.ts';
import { type ModelConfigRead, readModelConfig } from '../lifecycle/model-loader.ts';
import type { IndexEntry } from '../lifecycle/model-manager.ts';
import { splitQualified } from '../lifecycle/lookup.ts';
import { silentLogger } from '../log.ts';
import { checkChecksum, checksumEntries } from '../repository/checksum-agent.ts';
import { joinPath } from '../repository/driver.ts';
import { Repository } from '../repository/repository.ts';
import type { InferenceServer, RepositoryMount } from '../server.ts';
import type { InferResponse } from '../types.ts';
import { layoutNotes } from './layout.ts';
import type { ModelResult, Problem, ValidationReport, VersionResult } from './report.ts';
import { checkResponse, oneShotSequence, syntheticRequest } from './synthetic.ts';

export interface ValidateOptions {
  /** A started server in EXPLICIT mode with nothing loaded, created over `repositories` (same order). */
  server: InferenceServer;
  repositories: RepositoryMount[];
  namespacing: boolean;
  autoComplete: boolean;
  configName?: string;
  /** Send one synthetic request to every READY version and check its outputs against the config. */
  infer: boolean;
}

interface Found {
  namespace: string;
  name: string;
  repos: Repository[];
}

/**
 * Checks repositories the way the server loads them, without serving: every model is loaded
 * through the server's own load path (config parse, validation, auto-complete, the config checked
 * against the model file, checksums, ensembles, instances, warm-up), then each version's state and
 * reason is reported. Beside that: entries the server ignores (info), checksum entries no load
 * covered, ensemble steps that name no model, and with `infer` one request per READY version.
 */
export async function validateRepositories(opts: ValidateOptions): Promise<ValidationReport> {
  if (opts.server.manager.mode !== 'explicit') throw internal('validation needs a server in EXPLICIT model control mode');
  const repos = opts.repositories.map((r, i) => new Repository(r.namespace ?? `repository${i}`, r.driver, r.label ?? r.driver.name));
  const problems: Problem[] = [];
  const found = new Map<string, Found>();
  for (const repo of repos) {
    problems.push(...(await layoutNotes(repo, opts.namespacing ? repo.namespace : undefined)));
    const namespace = opts.namespacing ? repo.namespace : '';
    for (const name of await repo.listModels()) {
      const key = `${namespace}::${name}`;
      const entry = found.get(key) ?? { namespace, name, repos: [] };
      entry.repos.push(repo);
      found.set(key, entry);
    }
  }
  const sorted = [...found.values()].sort((a, b) => (a.namespace + a.name < b.namespace + b.name ? -1 : 1));
  const loadErrors = new Map<Found, string>();
  for (const model of sorted) {
    await opts.server.load(qualified(opts, model)).catch((e: unknown) => loadErrors.set(model, toServerError(e).message));
  }
  const index = await opts.server.index();
  const models: ModelResult[] = [];
  for (const model of sorted) {
    const entries = index.filter((e) => e.name === model.name && (e.namespace ?? '') === model.namespace);
    const result = await inspectModel(opts, found, model, entries, loadErrors.get(model));
    problems.push(...result.problems);
    models.push(result.model);
  }
  const versions = models.flatMap((m) => m.versions);
  const errors = problems.filter((p) => p.severity === 'error').length;
  return {
    ok: errors === 0,
    summary: {
      models: models.length,
      versions: versions.length,
      ready: versions.filter((v) => v.state === 'READY').length,
      errors,
      infos: problems.length - errors,
    },
    models,
    problems,
  };
}

const qualified = (opts: ValidateOptions, m: Found) => (opts.namespacing ? `${m.namespace}::${m.name}` : m.name);

async function inspectModel(
  opts: ValidateOptions,
  found: Map<string, Found>,
  model: Found,
  entries: IndexEntry[],
  loadError: string | undefined,
): Promise<{ model: ModelResult; problems: Problem[] }> {
  const repo = model.repos[0]!;
  const about = { model: model.name, ...(opts.namespacing ? { namespace: model.namespace } : {}) };
  const result: ModelResult = {
    name: model.name,
    ...(opts.namespacing ? { namespace: model.namespace } : {}),
    repository: model.repos.map((r) => r.label).join(', '),
    versions: [],
  };
  const problems: Problem[] = [];
  if (model.repos.length > 1) {
    const where = model.repos.map((r) => r.label).join(', ');
    problems.push({
      severity: 'error',
      check: 'layout',
      ...about,
      file: `${repo.label}/${model.name}`,
      message: `model appears in several repositories (${where}); --model-namespacing serves each under its own namespace`,
    });
    return { model: result, problems };
  }
  const read = await readModelConfig(opts, repo, model.name).catch(() => undefined);
  const configFile = `${repo.label}/${read?.dir.configPath ?? joinPath(model.name, 'config.pbtxt')}`;
  const modelError = entries.find((e) => e.version === undefined && e.state === 'UNAVAILABLE');
  if (modelError) problems.push({ severity: 'error', check: 'config', ...about, file: configFile, message: modelError.reason ?? 'failed to load' });
  const versioned = entries.filter((e) => e.version !== undefined);
  const ready = new Set(versioned.filter((e) => e.state === 'READY').map((e) => Number(e.version)));
  const specific: Problem[] = [];
  if (read) {
    specific.push(...(await checksumProblems(repo, model, read, ready, about)));
    specific.push(...ensembleProblems(opts, found, read.config, about, configFile));
  }
  problems.push(...specific);
  const modelFile = (v: string) => `${repo.label}/${model.name}/${v}${read ? `/${defaultModelFile(read, model.name)}` : ''}`;
  for (const e of versioned) {
    const v: VersionResult = { version: e.version!, state: e.state ?? 'UNKNOWN', ...(e.reason ? { reason: e.reason } : {}) };
    result.versions.push(v);
    if (e.state === 'READY') continue;
    // A checksum or ensemble problem found above is why this version failed: it is not repeated.
    const explained = specific.some((p) => (p.version === undefined || p.version === e.version) && (p.check === 'ensemble' || e.reason?.includes(p.message)));
    if (!explained)
      problems.push({
        severity: 'error',
        check: 'load',
        ...about,
        version: e.version,
        file: modelFile(e.version!),
        message: e.reason || `version is ${e.state}`,
      });
  }
  if (!modelError && versioned.length === 0 && loadError) problems.push({ severity: 'error', check: 'load', ...about, file: configFile, message: loadError });
  if (opts.infer) {
    for (const v of result.versions) {
      if (v.state !== 'READY') {
        v.infer = 'skipped';
        continue;
      }
      const problem = await inferOnce(opts, model, repo, v.version);
      v.infer = problem ? 'failed' : 'passed';
      if (problem)
        problems.push({ severity: 'error', check: 'infer', ...about, version: v.version, file: `${repo.label}/${model.name}/${v.version}`, message: problem });
    }
  }
  return { model: result, problems };
}

function defaultModelFile(read: ModelConfigRead, name: string): string {
  if (read.config.platform === 'ensemble') return '';
  try {
    const config = clone(ModelConfigSchema, read.config);
    completeBackendFields(config, name, read.dir.firstVersionFiles);
    return config.defaultModelFilename;
  } catch {
    return read.config.defaultModelFilename;
  }
}

/** Checksum entries that no successful load verified (versions not loaded or failed, files missing), checked here. */
async function checksumProblems(repo: Repository, model: Found, read: ModelConfigRead, ready: Set<number>, about: Partial<Problem>): Promise<Problem[]> {
  let entries: ReturnType<typeof checksumEntries>;
  try {
    entries = checksumEntries(read.config);
  } catch {
    return []; // the load reports a malformed agent
  }
  const out: Problem[] = [];
  for (const entry of entries) {
    if (entry.version === undefined ? ready.size > 0 : ready.has(entry.version)) continue;
    const message = await checkChecksum(repo.driver, model.name, entry);
    if (message) {
      out.push({
        severity: 'error',
        check: 'checksum',
        ...about,
        ...(entry.version !== undefined ? { version: String(entry.version) } : {}),
        file: `${repo.label}/${model.name}/${entry.path}`,
        message,
      });
    }
  }
  return out;
}

/** Ensemble steps naming a model that none of the repositories has. */
function ensembleProblems(opts: ValidateOptions, found: Map<string, Found>, config: ModelConfig, about: Partial<Problem>, file: string): Problem[] {
  const sched = config.platform === 'ensemble' ? ensembleScheduling(config) : undefined;
  if (!sched) return [];
  const out: Problem[] = [];
  sched.step.forEach((step, i) => {
    if (step.modelName === '') return; // the load reports an empty model_name
    const { namespace, name } = splitQualified(step.modelName);
    const exists = [...found.values()].some((f) => f.name === name && (namespace === undefined || !opts.namespacing || f.namespace === namespace));
    if (!exists) {
      out.push({
        severity: 'error',
        check: 'ensemble',
        ...about,
        file,
        message: `step ${i} of ensemble '${config.name || (about.model ?? '')}' uses model '${step.modelName}', which is in none of the given repositories`,
      });
    }
  });
  return out;
}

/** Sends a READY version its synthetic request; returns what is wrong, or undefined when the outputs match the config. */
async function inferOnce(opts: ValidateOptions, model: Found, repo: Repository, version: string): Promise<string | undefined> {
  const name = qualified(opts, model);
  const mv = opts.server.manager.acquire(name, version);
  const config = mv.config;
  const decoupled = mv.decoupled;
  mv.release();
  const source: ModelSource = {
    namespace: model.namespace,
    name: model.name,
    version: Number(version),
    config,
    readFile: (p) => repo.driver.read(joinPath(model.name, version, p)),
    readModelFile: (p) => repo.driver.read(joinPath(model.name, p)),
    log: silentLogger,
  };
  let from = 'the synthetic request';
  try {
    const req = await syntheticRequest(config, source);
    from = `the synthetic request (${req.from})`;
    const request = { model: name, version, id: 'nereid-validate', inputs: req.inputs, sequence: oneShotSequence(config) };
    const responses: InferResponse[] = decoupled ? await collectStream(opts.server, request) : [await opts.server.infer(request)];
    const wrong = responses.flatMap((r) => checkResponse(config, r, req.batch));
    return wrong.length > 0 ? `${from}: ${wrong.join('; ')}` : undefined;
  } catch (e) {
    return `${from} failed: ${toServerError(e).message}`;
  }
}

/** Every response of a decoupled model to one request. */
function collectStream(server: InferenceServer, request: Parameters<InferenceServer['inferStream']>[0]): Promise<InferResponse[]> {
  const responses: InferResponse[] = [];
  let failure: Error | undefined;
  return server
    .inferStream(request, {
      send(response) {
        if (response && 'outputs' in response) responses.push(response);
        else if (response) failure ??= response;
      },
    })
    .then(() => {
      if (failure) throw failure;
      return responses;
    });
}
