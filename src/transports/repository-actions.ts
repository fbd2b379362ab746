// What the HTTP and gRPC model-repository endpoints share: reading load overrides and writing the
// audit line of each load and unload.
import { configFromJson, type IndexEntry, invalidArg, joinPath } from '../core/index.ts';
import type { AuditEntry } from './http/context.ts';

/** The load API's `config` parameter: a ModelConfig in Triton's JSON form. */
export function parseConfigOverride(text: string): ReturnType<typeof configFromJson> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalidArg(`Invalid config override: ${(e as Error).message}`);
  }
  return configFromJson(value);
}

/** `file:` override paths stay inside the model directory: no '..', absolute paths or backslashes. */
export function checkFilePath(path: string): string {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.split('/').includes('..') || /^[a-zA-Z]:/.test(path)) {
    throw invalidArg(`invalid file override path '${path}': it must be a relative path inside the model directory`);
  }
  return joinPath(path);
}

export type AuditedAction = Pick<AuditEntry, 'action' | 'model' | 'config_override' | 'files'>;

/**
 * Writes the audit line of a load or unload once it settled: the versions serving after it, who
 * asked, and the outcome (`status` is the protocol's own: an HTTP status, or a gRPC code with
 * `protocol: "grpc"`).
 */
export async function auditAction(
  server: { index(readyOnly?: boolean): Promise<IndexEntry[]> },
  audit: (entry: AuditEntry) => void,
  what: AuditedAction,
  outcome: Pick<AuditEntry, 'status' | 'result' | 'source' | 'protocol'>,
): Promise<void> {
  const name = what.model.includes('::') ? what.model.split('::')[1]! : what.model;
  const versions = (await server.index(true)).filter((e) => e.name === name && e.version).map((e) => e.version!);
  const entry: AuditEntry = { time: new Date().toISOString(), ...what, versions, source: outcome.source, status: outcome.status, result: outcome.result };
  if (outcome.protocol) entry.protocol = outcome.protocol;
  audit(entry);
}
