import { ensembleScheduling } from '../config/accessors.ts';
import type { ModelConfig } from '../config/gen/model_config_pb.ts';
import { invalidArg, unavailable } from '../errors.ts';
import type { ModelVersion } from '../model/model-version.ts';
import type { StepResolver } from '../scheduling/ensemble-scheduler.ts';
import { servingVersion, splitQualified } from './lookup.ts';
import type { ModelRecord, ModelRegistry } from './registry.ts';

export interface Links {
  /** Step model name → record key of the composing model it uses. */
  links: Map<string, string>;
  /** Why some steps resolve to nothing (missing or ambiguous models). */
  error?: string;
}

/** What must happen to a serving ensemble after the models around it changed. */
export type EnsembleChange = { rec: ModelRecord; action: 'unload'; reason: string } | { rec: ModelRecord; action: 'relink'; links: Map<string, string> };

export const serving = (rec: ModelRecord): boolean => {
  for (const v of rec.versions.values()) if (v.serving) return true;
  return false;
};

/**
 * Ensembles and the composing models they use: how a step name resolves to a model (Triton's
 * rules across namespaces), who depends on whom, cycles, and which ensembles must relink.
 */
export class DependencyGraph {
  private readonly registry: ModelRegistry;
  private readonly namespacing: boolean;

  constructor(registry: ModelRegistry, namespacing: boolean) {
    this.registry = registry;
    this.namespacing = namespacing;
  }

  /**
   * Step model → record key: a qualified name exactly; else the ensemble's own namespace first;
   * else the only serving model with that name anywhere.
   */
  resolve(rec: ModelRecord, steps: Iterable<string>): Links {
    const links = new Map<string, string>();
    const bad: string[] = [];
    for (const step of steps) {
      const { namespace } = splitQualified(step);
      const candidates = this.registry.named(step).filter((r) => serving(r) && !r.leaving);
      let target: ModelRecord | undefined;
      if (namespace !== undefined) target = candidates[0];
      else target = candidates.find((r) => r.id.namespace === rec.id.namespace) ?? (candidates.length === 1 ? candidates[0] : undefined);
      if (target) links.set(step, target.key);
      else bad.push(step);
    }
    if (bad.length === 0) return { links };
    const id = this.namespacing ? `${rec.id.namespace}::${rec.id.name}` : rec.id.name;
    return { links, error: `ensemble ${id} contains models that are not available or ambiguous: ${bad.join(', ')}` };
  }

  /** Ensembles currently serving with a step linked to `key`. */
  dependentsOf(key: string): ModelRecord[] {
    const out: ModelRecord[] = [];
    for (const r of this.registry.all()) {
      if (!r.links || !serving(r)) continue;
      for (const k of r.links.values()) {
        if (k === key) {
          out.push(r);
          break;
        }
      }
    }
    return out;
  }

  /** Adds `rec` to the chain of ensembles being loaded, refusing a cycle. */
  enter(chain: ReadonlySet<string> | undefined, rec: ModelRecord): Set<string> {
    const next = new Set(chain ?? []);
    if (next.has(rec.key)) throw invalidArg(`ensemble '${rec.id.name}' depends on itself through its steps`);
    next.add(rec.key);
    return next;
  }

  /** Serving ensembles whose best step targets changed, or whose steps no longer resolve. */
  changes(): EnsembleChange[] {
    const out: EnsembleChange[] = [];
    for (const rec of this.registry.all()) {
      if (!rec.links || !serving(rec)) continue;
      const { links, error } = this.resolve(rec, rec.links.keys());
      if (error) out.push({ rec, action: 'unload', reason: error });
      else if ([...links].some(([step, key]) => rec.links!.get(step) !== key)) out.push({ rec, action: 'relink', links });
    }
    return out;
  }

  /** The config of the version an ensemble step would use (validation at load). */
  stepConfig(config: ModelConfig, links: ReadonlyMap<string, string>, stepModel: string): ModelConfig {
    const step = ensembleScheduling(config)!.step.find((s) => s.modelName === stepModel)!;
    const target = this.registry.get(links.get(stepModel)!)!;
    return servingVersion(target, stepModel, step.modelVersion < 0n ? undefined : String(step.modelVersion)).config;
  }

  /** How the ensemble scheduler finds (and holds) each step's model version at inference time. */
  stepResolver(config: ModelConfig, links: ReadonlyMap<string, string>): StepResolver {
    const steps = ensembleScheduling(config)?.step ?? [];
    return (i: number, version: bigint): ModelVersion => {
      const step = steps[i]!;
      const key = links.get(step.modelName);
      const target = key === undefined ? undefined : this.registry.get(key);
      if (!target) throw unavailable(`composing model '${step.modelName}' is not available`);
      const mv = servingVersion(target, step.modelName, version < 0n ? undefined : String(version));
      mv.acquire();
      return mv;
    };
  }
}
