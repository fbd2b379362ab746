import { ensembleScheduling, isEnsemble } from '../config/accessors.ts';
import type { ModelConfig } from '../config/gen/model_config_pb.ts';
import { ensembleStepModels, validateEnsembleSteps } from '../config/ensemble.ts';
import { codeLabel, invalidArg, serverError, toServerError, unavailable } from '../errors.ts';
import type { ModelVersion } from '../model/model-version.ts';
import { fingerprintModel } from '../repository/fingerprint.ts';
import { servingVersion, splitQualified } from './lookup.ts';
import { type LoaderContext, loadVersion, type ModelPlan, planModel } from './model-loader.ts';
import { type ModelRecord, type VersionRecord, withLock } from './records.ts';

export interface LoadRecordOptions {
  /** Skip the load when the model's files did not change and it is already serving. */
  onlyIfChanged?: boolean;
  /** Ensembles being loaded further up this call chain (dependency cycles). */
  chain?: ReadonlySet<string>;
  /** Load requests from the API report failures with Triton's trailing newline. */
  api?: boolean;
}

/** Hooks the manager gives the lifecycle to find composing models. */
export interface DependencyHooks {
  /** Makes sure every model named `name` (in any namespace, or the qualified one) is loaded. */
  ensureLoaded(name: string, chain: ReadonlySet<string>): Promise<void>;
}

/**
 * Loading, reloading and unloading of model records: atomic version swaps, reference-counted
 * retirement, and ensembles linked to their composing models.
 */
export class Lifecycle {
  readonly records = new Map<string, ModelRecord>();
  private readonly ctx: LoaderContext;
  private readonly namespacing: boolean;
  hooks?: DependencyHooks;

  constructor(ctx: LoaderContext, namespacing: boolean) {
    this.ctx = ctx;
    this.namespacing = namespacing;
  }

  /**
   * Loads or reloads a model's versions. A version that already serves keeps serving until its
   * replacement is READY; on failure it keeps serving and the reason is recorded.
   */
  loadRecord(rec: ModelRecord, opts: LoadRecordOptions = {}): Promise<void> {
    return withLock(rec, async () => {
      const display = rec.id.name;
      let fingerprint: string | undefined;
      let plan: ModelPlan;
      try {
        fingerprint = await fingerprintModel(rec.repo.driver, rec.id.name);
        if (opts.onlyIfChanged && fingerprint === rec.fingerprint && this.serving(rec)) return;
        plan = await planModel(this.ctx, rec.repo, rec.id.name, rec.overrideConfig);
      } catch (e) {
        const err = toServerError(e);
        rec.loadFailures = (rec.loadFailures ?? 0) + 1;
        rec.fingerprint = undefined;
        if (!this.serving(rec)) rec.error = reasonOf(err);
        for (const vr of rec.versions.values()) if (vr.serving) vr.reason = `reload failed, previous version keeps serving: ${reasonOf(err)}`;
        this.ctx.log.error(`failed to load '${display}': ${err.message}`);
        const code = err.code === 'NOT_FOUND' ? 'NOT_FOUND' : err.code === 'INTERNAL' ? 'INTERNAL' : 'INVALID_ARG';
        throw serverError(code, `failed to load '${display}', failed to poll from model repository: ${err.message}`);
      }
      rec.error = undefined;
      let links: Map<string, string> | undefined;
      let linkError: string | undefined;
      if (isEnsemble(plan.config)) {
        const chain = new Set(opts.chain ?? []);
        if (chain.has(rec.key)) throw invalidArg(`ensemble '${display}' depends on itself through its steps`);
        chain.add(rec.key);
        for (const step of ensembleStepModels(plan.config)) {
          await this.hooks?.ensureLoaded(step, chain).catch(() => undefined);
        }
        ({ links, error: linkError } = this.resolveLinks(rec, ensembleStepModels(plan.config)));
        if (!linkError) {
          try {
            validateEnsembleSteps(plan.config, (step) => this.stepConfig(plan, links!, step));
          } catch (e) {
            linkError = toServerError(e).message;
          }
        }
      }
      const failures: string[] = [];
      await Promise.all(plan.versions.map(async (v) => {
        const vr = this.versionRecord(rec, v);
        const previous = vr.serving;
        if (!previous) {
          vr.state = 'LOADING';
          vr.reason = '';
        }
        try {
          if (linkError) throw unavailable(linkError);
          const resolver = links ? this.stepResolver(plan, links) : undefined;
          const mv = await loadVersion(this.ctx, rec.repo, rec.id, plan, v, resolver);
          vr.serving = mv;
          vr.state = 'READY';
          vr.reason = '';
          this.ctx.log.info(`successfully loaded '${display}' version ${v}${mv.details.execution_provider ? ` on ${mv.details.execution_provider}` : ''}${mv.details.fallback_reason ? ` (${mv.details.fallback_reason})` : ''}`);
          if (previous) void previous.retire();
        } catch (e) {
          const reason = reasonOf(toServerError(e));
          rec.loadFailures = (rec.loadFailures ?? 0) + 1;
          if (previous) vr.reason = `reload failed, previous version keeps serving: ${reason}`;
          else {
            vr.state = 'UNAVAILABLE';
            vr.reason = reason;
          }
          failures.push(`version ${v} is at ${previous ? 'READY state (reload failed)' : 'UNAVAILABLE state'}: ${reason};`);
          this.ctx.log.error(`failed to load '${display}' version ${v}: ${reason}`);
        }
      }));
      for (const [v, vr] of rec.versions) {
        if (!plan.versions.includes(v) && vr.serving) await this.retireVersion(vr);
      }
      if (links && failures.length === 0) rec.links = links;
      rec.fingerprint = failures.length > 0 ? undefined : fingerprint;
      if (failures.length > 0) {
        const msg = `load failed for model '${display}': ${failures.join('\n')}`;
        throw invalidArg(opts.api ? `${msg}\n` : msg);
      }
    });
  }

  /** Unloads every version; ensembles that use this model are unloaded first. */
  async unloadRecord(rec: ModelRecord, reason = 'unloaded'): Promise<void> {
    for (const dependent of this.dependentsOf(rec.key)) await this.unloadRecord(dependent);
    await withLock(rec, async () => {
      const wasLoaded = this.serving(rec);
      rec.explicit = false;
      rec.overrideConfig = undefined;
      rec.fingerprint = undefined;
      rec.error = undefined;
      rec.links = undefined;
      await Promise.all([...rec.versions.values()].map((vr) => this.retireVersion(vr, reason)));
      if (rec.overrideStore) {
        await rec.repo.driver.remove?.('').catch(() => undefined);
        await rec.repo.driver.dispose?.();
        rec.overrideStore = false;
        this.records.delete(rec.key);
      }
      if (wasLoaded) this.ctx.log.info(`successfully unloaded '${rec.id.name}'`);
    });
  }

  /** Ensembles currently serving with a step linked to `key`. */
  dependentsOf(key: string): ModelRecord[] {
    return [...this.records.values()].filter((r) => r.links && [...r.links.values()].includes(key) && this.serving(r));
  }

  /**
   * Re-links serving ensembles whose best step targets changed (a same-namespace model appeared,
   * or the linked one disappeared), and unloads those whose steps no longer resolve.
   */
  async relinkEnsembles(): Promise<void> {
    for (const rec of [...this.records.values()]) {
      if (!rec.links || !this.serving(rec)) continue;
      const { links, error } = this.resolveLinks(rec, [...rec.links.keys()]);
      if (error) {
        this.ctx.log.warn(`unloading ensemble '${rec.id.name}': ${error}`);
        await this.unloadRecord(rec);
      } else if ([...links].some(([step, key]) => rec.links!.get(step) !== key)) {
        this.ctx.log.info(`re-linking ensemble '${rec.id.name}' to ${[...links.values()].join(', ')}`);
        await this.loadRecord(rec).catch((e) => this.ctx.log.error(toServerError(e).message));
      }
    }
  }

  serving(rec: ModelRecord): boolean {
    for (const v of rec.versions.values()) if (v.serving) return true;
    return false;
  }

  /**
   * Step model → record key: a qualified name exactly; else the ensemble's own namespace first;
   * else the only model with that name anywhere.
   */
  private resolveLinks(rec: ModelRecord, steps: string[]): { links: Map<string, string>; error?: string } {
    const links = new Map<string, string>();
    const bad: string[] = [];
    const present = (r: ModelRecord) => this.serving(r) && !r.leaving;
    for (const step of steps) {
      const { namespace, name } = splitQualified(step);
      const candidates = [...this.records.values()].filter((r) => r.id.name === name && present(r));
      let target: ModelRecord | undefined;
      if (namespace !== undefined) target = candidates.find((r) => r.id.namespace === namespace);
      else target = candidates.find((r) => r.id.namespace === rec.id.namespace) ?? (candidates.length === 1 ? candidates[0] : undefined);
      if (target) links.set(step, target.key);
      else bad.push(step);
    }
    if (bad.length === 0) return { links };
    const id = this.namespacing ? `${rec.id.namespace}::${rec.id.name}` : rec.id.name;
    return { links, error: `ensemble ${id} contains models that are not available or ambiguous: ${bad.join(', ')}` };
  }

  /** The config of the version an ensemble step would use (for validation at load). */
  private stepConfig(plan: ModelPlan, links: Map<string, string>, stepModel: string): ModelConfig {
    const step = ensembleScheduling(plan.config)!.step.find((s) => s.modelName === stepModel)!;
    const target = this.records.get(links.get(stepModel)!)!;
    return servingVersion(target, stepModel, step.modelVersion < 0n ? undefined : String(step.modelVersion)).config;
  }

  private stepResolver(plan: ModelPlan, links: Map<string, string>) {
    const steps = plan.config.schedulingChoice.case === 'ensembleScheduling' ? plan.config.schedulingChoice.value.step : [];
    return (i: number, version: bigint): ModelVersion => {
      const step = steps[i]!;
      const key = links.get(step.modelName);
      const target = key === undefined ? undefined : this.records.get(key);
      if (!target) throw unavailable(`composing model '${step.modelName}' is not available`);
      const mv = servingVersion(target, step.modelName, version < 0n ? undefined : String(version));
      mv.acquire();
      return mv;
    };
  }

  private async retireVersion(vr: VersionRecord, reason = 'unloaded'): Promise<void> {
    const serving = vr.serving;
    if (!serving) return;
    vr.serving = undefined;
    vr.state = 'UNLOADING';
    vr.reason = '';
    await serving.retire();
    vr.state = 'UNAVAILABLE';
    vr.reason = reason;
  }

  private versionRecord(rec: ModelRecord, v: number): VersionRecord {
    let vr = rec.versions.get(v);
    if (!vr) {
      vr = { state: 'UNKNOWN', reason: '' };
      rec.versions.set(v, vr);
    }
    return vr;
  }
}

/** Triton's reason text: "<Code>: <message>". */
export function reasonOf(err: { code: keyof typeof codeLabel; message: string }): string {
  return `${codeLabel[err.code]}: ${err.message}`;
}
