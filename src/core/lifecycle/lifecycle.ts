import { isEnsemble } from '../config/accessors.ts';
import { ensembleStepModels, validateEnsembleSteps } from '../config/ensemble.ts';
import { codeLabel, invalidArg, serverError, toServerError, unavailable } from '../errors.ts';
import type { ModelVersion } from '../model/model-version.ts';
import { fingerprintModel } from '../repository/fingerprint.ts';
import { type DependencyGraph, serving } from './dependency-graph.ts';
import { type LoaderContext, loadVersion, type ModelPlan, planModel } from './model-loader.ts';
import type { ModelRecord, ModelRegistry } from './registry.ts';
import { transition, type VersionRecord } from './version-state.ts';

export interface LoadRecordOptions {
  /** Skip the load when the model's files did not change and it is already serving. */
  onlyIfChanged?: boolean;
  /** Ensembles being loaded further up this call chain (dependency cycles). */
  chain?: ReadonlySet<string>;
  /** Load requests from the API report failures with Triton's trailing newline. */
  api?: boolean;
}

/** How the lifecycle asks the control mode to bring an ensemble's composing models in. */
export type EnsureLoaded = (step: string, chain: ReadonlySet<string>) => Promise<void>;

interface Dependencies {
  links?: Map<string, string>;
  /** Why the ensemble cannot serve (its versions fail with it). */
  error?: string;
}

/**
 * Loading, reloading and unloading of model records. A load reads as four steps: plan (config and
 * versions from the repository), resolve dependencies (an ensemble's composing models), load
 * versions (beside whatever serves now), swap (a READY replacement retires the old version; a
 * failure leaves it serving).
 */
export class Lifecycle {
  private readonly ctx: LoaderContext;
  private readonly registry: ModelRegistry;
  private readonly graph: DependencyGraph;
  private readonly ensureLoaded: EnsureLoaded;

  constructor(ctx: LoaderContext, registry: ModelRegistry, graph: DependencyGraph, ensureLoaded: EnsureLoaded) {
    this.ctx = ctx;
    this.registry = registry;
    this.graph = graph;
    this.ensureLoaded = ensureLoaded;
  }

  /**
   * Loads or reloads a model's versions. A version that already serves keeps serving until its
   * replacement is READY; on failure it keeps serving and the reason is recorded.
   */
  loadRecord(rec: ModelRecord, opts: LoadRecordOptions = {}): Promise<void> {
    return this.registry.withLock(rec, async () => {
      const planned = await this.plan(rec, opts);
      if (!planned) return;
      const { plan, fingerprint } = planned;
      const deps = await this.resolveDependencies(rec, plan, opts.chain);
      const failures = await this.loadVersions(rec, plan, deps);
      for (const [v, vr] of rec.versions) {
        if (!plan.versions.includes(v) && vr.serving) await this.retire(vr);
      }
      if (deps.links && failures.length === 0) this.registry.setLinks(rec, deps.links);
      this.registry.setFingerprint(rec, failures.length > 0 ? undefined : fingerprint);
      if (failures.length > 0) {
        const msg = `load failed for model '${rec.id.name}': ${failures.join('\n')}`;
        throw invalidArg(opts.api ? `${msg}\n` : msg);
      }
    });
  }

  /** Unloads every version; ensembles that use this model are unloaded first. */
  async unloadRecord(rec: ModelRecord, reason = 'unloaded'): Promise<void> {
    for (const dependent of this.graph.dependentsOf(rec.key)) await this.unloadRecord(dependent);
    await this.registry.withLock(rec, async () => {
      const wasLoaded = serving(rec);
      this.registry.reset(rec);
      await Promise.all([...rec.versions.values()].map((vr) => this.retire(vr, reason)));
      if (rec.overrideStore) {
        await rec.repo.driver.remove?.('').catch(() => undefined);
        await rec.repo.driver.dispose?.();
        this.registry.delete(rec);
      }
      if (wasLoaded) this.ctx.log.info(`successfully unloaded '${rec.id.name}'`);
    });
  }

  /** Re-links serving ensembles whose best step targets changed and unloads those whose steps no longer resolve. */
  async relinkEnsembles(): Promise<void> {
    for (const change of this.graph.changes()) {
      if (change.action === 'unload') {
        this.ctx.log.warn(`unloading ensemble '${change.rec.id.name}': ${change.reason}`);
        await this.unloadRecord(change.rec);
      } else {
        this.ctx.log.info(`re-linking ensemble '${change.rec.id.name}' to ${[...change.links.values()].join(', ')}`);
        await this.loadRecord(change.rec).catch(() => undefined); // loadRecord has logged why
      }
    }
  }

  // --- the four steps of a load ---------------------------------------------------------------

  /** Reads config and versions; undefined when nothing changed and the model already serves. */
  private async plan(rec: ModelRecord, opts: LoadRecordOptions): Promise<{ plan: ModelPlan; fingerprint: string } | undefined> {
    const started = this.ctx.clock.now();
    try {
      const fingerprint = await fingerprintModel(rec.repo.driver, rec.id.name);
      if (opts.onlyIfChanged && fingerprint === rec.fingerprint && serving(rec)) return undefined;
      const plan = await planModel(this.ctx, rec.repo, rec.id.name, rec.overrideConfig);
      this.registry.setError(rec, undefined);
      this.ctx.loads?.planned(rec.key);
      return { plan, fingerprint };
    } catch (e) {
      this.recordLoad(rec, undefined, started, false);
      const err = toServerError(e);
      this.registry.countLoadFailure(rec);
      this.registry.setFingerprint(rec, undefined);
      const reason = reasonOf(err);
      if (serving(rec)) {
        for (const vr of rec.versions.values()) if (vr.serving) transition(vr, 'READY', `reload failed, previous version keeps serving: ${reason}`);
      } else {
        this.registry.setError(rec, reason);
      }
      this.ctx.log.error(`failed to load '${rec.id.name}': ${err.message}`);
      const code = err.code === 'NOT_FOUND' ? 'NOT_FOUND' : err.code === 'INTERNAL' ? 'INTERNAL' : 'INVALID_ARG';
      throw serverError(code, `failed to load '${rec.id.name}', failed to poll from model repository: ${err.message}`);
    }
  }

  /** An ensemble's composing models: loaded, linked and checked against its steps. */
  private async resolveDependencies(rec: ModelRecord, plan: ModelPlan, chain: ReadonlySet<string> | undefined): Promise<Dependencies> {
    if (!isEnsemble(plan.config)) return {};
    const next = this.graph.enter(chain, rec);
    const steps = ensembleStepModels(plan.config);
    for (const step of steps) await this.ensureLoaded(step, next).catch(() => undefined);
    const { links, error } = this.graph.resolve(rec, steps);
    if (error) return { links, error };
    try {
      validateEnsembleSteps(plan.config, (step) => this.graph.stepConfig(plan.config, links, step));
    } catch (e) {
      return { links, error: toServerError(e).message };
    }
    return { links };
  }

  /** Loads every planned version beside what serves; each swaps in as soon as it is READY. Returns the failures. */
  private async loadVersions(rec: ModelRecord, plan: ModelPlan, deps: Dependencies): Promise<string[]> {
    const failures: string[] = [];
    const display = rec.id.name;
    await Promise.all(
      plan.versions.map(async (v) => {
        const vr = this.registry.version(rec, v);
        const previous = vr.serving;
        if (!previous) transition(vr, 'LOADING');
        const started = this.ctx.clock.now();
        try {
          if (deps.error) throw unavailable(deps.error);
          const resolver = deps.links ? this.graph.stepResolver(plan.config, deps.links) : undefined;
          const mv = await loadVersion(this.ctx, rec.repo, rec.id, plan, v, resolver);
          this.swap(vr, mv);
          this.recordLoad(rec, v, started, true);
        } catch (e) {
          this.recordLoad(rec, v, started, false);
          const reason = reasonOf(toServerError(e));
          this.registry.countLoadFailure(rec);
          if (previous) transition(vr, 'READY', `reload failed, previous version keeps serving: ${reason}`);
          else transition(vr, 'UNAVAILABLE', reason);
          failures.push(`version ${v} is at ${previous ? 'READY state (reload failed)' : 'UNAVAILABLE state'}: ${reason};`);
          this.ctx.log.error(`failed to load '${display}' version ${v}: ${reason}`);
        }
      }),
    );
    return failures;
  }

  /** Tells the metrics how a load attempt that began at `started` (clock.now()) ended. */
  private recordLoad(rec: ModelRecord, version: number | undefined, started: number, ok: boolean): void {
    this.ctx.loads?.record(rec.key, version, { ok, durationMs: this.ctx.clock.now() - started, endedAtMs: this.ctx.clock.wallNow() });
  }

  /** Puts a loaded version in service; the one it replaces retires after its last request. */
  private swap(vr: VersionRecord, mv: ModelVersion): void {
    const previous = transition(vr, 'READY', '', mv);
    const where = mv.details.execution_provider ? ` on ${mv.details.execution_provider}` : '';
    const fallback = mv.details.fallback_reason ? ` (${mv.details.fallback_reason})` : '';
    this.ctx.log.info(`successfully loaded '${mv.id.name}' version ${mv.version}${where}${fallback}`);
    if (previous) void previous.retire();
  }

  private async retire(vr: VersionRecord, reason = 'unloaded'): Promise<void> {
    if (!vr.serving) return;
    const old = transition(vr, 'UNLOADING');
    await old?.retire();
    transition(vr, 'UNAVAILABLE', reason);
  }
}

/** Triton's reason text: "<Code>: <message>". */
export function reasonOf(err: { code: keyof typeof codeLabel; message: string }): string {
  return `${codeLabel[err.code]}: ${err.message}`;
}
