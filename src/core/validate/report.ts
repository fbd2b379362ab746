/**
 * What `nereid validate` reports (its `--json` output is this shape, `ValidationReport`; fields are
 * only ever added). Every problem names what it is about; `severity` error fails the validation,
 * info does not (an entry the server ignores, a step that was skipped).
 */
export type Severity = 'error' | 'info';

/** Which check found a problem. */
export type CheckName = 'layout' | 'config' | 'load' | 'checksum' | 'ensemble' | 'infer';

export interface Problem {
  severity: Severity;
  check: CheckName;
  /** The model's directory name, when the problem is about a model. */
  model?: string;
  /** The model's namespace under --model-namespacing. */
  namespace?: string;
  version?: string;
  /** The file or directory concerned, as a path under the repository it was given as. */
  file?: string;
  message: string;
}

export interface VersionResult {
  version: string;
  /** Triton's state after the load: READY, UNAVAILABLE, ... */
  state: string;
  reason?: string;
  /** With --infer: the synthetic request's outcome (skipped when the version is not READY). */
  infer?: 'passed' | 'failed' | 'skipped';
}

export interface ModelResult {
  name: string;
  namespace?: string;
  /** The repository path (or every path, for a model found in several). */
  repository: string;
  versions: VersionResult[];
}

export interface ValidationReport {
  /** True when no problem is an error: the exit code is 0 exactly then. */
  ok: boolean;
  summary: { models: number; versions: number; ready: number; errors: number; infos: number };
  models: ModelResult[];
  problems: Problem[];
}
