import type { ModelConfig } from '../config/gen/model_config_pb.ts';
import { invalidArg } from '../errors.ts';
import type { Logger } from '../log.ts';

/** The versions a version_policy selects from those present in the repository. */
export function selectVersions(config: ModelConfig, present: readonly number[], log?: Logger): number[] {
  const policy = config.versionPolicy?.policyChoice;
  let chosen: number[];
  if (!policy || policy.case === undefined || policy.case === 'latest') {
    const n = policy?.case === 'latest' ? Math.max(1, policy.value.numVersions) : 1;
    chosen = [...present].sort((a, b) => b - a).slice(0, n);
  } else if (policy.case === 'all') {
    chosen = [...present];
  } else {
    chosen = [];
    for (const v of policy.value.versions.map(Number)) {
      if (present.includes(v)) chosen.push(v);
      else log?.warn(`version ${v} is specified for model '${config.name}', but the version directory is not present`);
    }
  }
  if (chosen.length === 0) throw invalidArg(`at least one version must be available under the version policy of model '${config.name}'`);
  return chosen.sort((a, b) => a - b);
}
