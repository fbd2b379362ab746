import { create } from '@bufbuild/protobuf';
import { type ModelConfig, ModelRepositoryAgents_AgentSchema, ModelRepositoryAgentsSchema } from '../config/gen/model_config_pb.ts';
import { invalidArg, toServerError, unsupported } from '../errors.ts';
import { DIGEST_ALGORITHMS, type DigestAlgorithm, hexDigest } from './digest.ts';
import { joinPath, type RepositoryDriver } from './driver.ts';
import { isIgnoredName } from './fingerprint.ts';
import { isVersionName } from './repository.ts';

/** The one repository agent Nereid implements (Triton's agents are plugins; this is its checksum agent). */
export const CHECKSUM_AGENT = 'checksum';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { MD5: 32, SHA256: 64 };

/** One `parameters` entry of the checksum agent: key `ALGORITHM:path/in/model/dir`, value the hex digest. */
export interface ChecksumEntry {
  key: string;
  algorithm: DigestAlgorithm;
  /** Relative to the model directory, normalised. */
  path: string;
  /** Lower-case hex. */
  expected: string;
  /** The version directory the file lies in; undefined for files outside version directories (labels, warmup data). */
  version?: number;
}

/**
 * The checksum entries of a config's `model_repository_agents`. An agent other than `checksum`, a
 * key without an algorithm, an unknown algorithm, a path outside the model directory or a value
 * that is not a digest of that algorithm fails, naming the key.
 */
export function checksumEntries(config: ModelConfig): ChecksumEntry[] {
  const m = config.name;
  const entries: ChecksumEntry[] = [];
  for (const agent of config.modelRepositoryAgents?.agents ?? []) {
    if (agent.name !== CHECKSUM_AGENT) {
      throw invalidArg(`unknown model repository agent '${agent.name}' for model '${m}': Nereid implements only the '${CHECKSUM_AGENT}' agent`);
    }
    for (const [key, value] of Object.entries(agent.parameters)) entries.push(parseEntry(m, key, value));
  }
  return entries;
}

function parseEntry(model: string, key: string, value: string): ChecksumEntry {
  const colon = key.indexOf(':');
  if (colon < 0) throw invalidArg(`failed to parse key: ${key} (model '${model}', checksum agent keys are ALGORITHM:path)`);
  const name = key.slice(0, colon).toUpperCase().replace('-', '');
  const algorithm = DIGEST_ALGORITHMS.find((a) => a === name);
  if (!algorithm) throw unsupported(`Unsupported checksum algorithm: ${key.slice(0, colon)} (model '${model}', key '${key}'; supported: MD5, SHA256)`);
  const raw = key.slice(colon + 1);
  let path: string;
  try {
    if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw invalidArg('absolute');
    path = joinPath(raw);
  } catch {
    throw invalidArg(`checksum key '${key}' of model '${model}' names a file outside the model directory`);
  }
  if (path === '') throw invalidArg(`checksum key '${key}' of model '${model}' names no file`);
  const expected = value.trim().toLowerCase();
  if (!new RegExp(`^[0-9a-f]{${HEX_LENGTH[algorithm]}}$`).test(expected)) {
    throw invalidArg(`checksum value for key '${key}' of model '${model}' is not a ${algorithm} digest (${HEX_LENGTH[algorithm]} hex digits): '${value}'`);
  }
  const first = path.split('/')[0]!;
  return { key, algorithm, path, expected, version: path.includes('/') && isVersionName(first) ? Number(first) : undefined };
}

/**
 * What is wrong with one file against its entry, or undefined when its digest matches. Triton's
 * wording for a mismatch: the file, the expected and the actual digest.
 */
export async function checkChecksum(driver: RepositoryDriver, modelDir: string, entry: ChecksumEntry): Promise<string | undefined> {
  let data: Uint8Array;
  try {
    data = await driver.read(joinPath(modelDir, entry.path));
  } catch (e) {
    const err = toServerError(e);
    if (err.code === 'NOT_FOUND') return `Missing file ${entry.path} for ${entry.algorithm} checksum, expect: ${entry.expected}`;
    return `Unreadable file ${entry.path} for ${entry.algorithm} checksum, expect: ${entry.expected}: ${err.message}`;
  }
  const actual = await hexDigest(entry.algorithm, data);
  return actual === entry.expected ? undefined : `Mismatched ${entry.algorithm} hash for file ${entry.path}, expect: ${entry.expected}, got: ${actual}`;
}

/**
 * The checksum agent's part of loading one version: the files of that version's directory and
 * those outside every version directory must match. A mismatch or a missing file fails the load
 * of the version (so a reload keeps the serving version).
 */
export async function verifyVersionChecksums(config: ModelConfig, driver: RepositoryDriver, modelDir: string, version: number): Promise<void> {
  for (const entry of checksumEntries(config)) {
    if (entry.version !== undefined && entry.version !== version) continue;
    const problem = await checkChecksum(driver, modelDir, entry);
    if (problem) throw invalidArg(problem);
  }
}

/** Checksum parameters (`ALGORITHM:v/file` → digest) for every file under the given version directories, sorted by path. */
export async function checksumParameters(
  driver: RepositoryDriver,
  modelDir: string,
  versions: readonly number[],
  algorithm: DigestAlgorithm,
): Promise<Record<string, string>> {
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await driver.list(joinPath(modelDir, rel))) {
      if (isIgnoredName(e.name)) continue;
      const path = joinPath(rel, e.name);
      if (e.kind === 'dir') await walk(path);
      else files.push(path);
    }
  };
  for (const v of versions) await walk(String(v));
  const out: Record<string, string> = {};
  for (const path of files.sort()) out[`${algorithm}:${path}`] = await hexDigest(algorithm, await driver.read(joinPath(modelDir, path)));
  return out;
}

/** Puts `parameters` in the config's checksum agent (replacing its entries), keeping any other agent. */
export function setChecksumAgent(config: ModelConfig, parameters: Record<string, string>): void {
  const agents = config.modelRepositoryAgents?.agents.filter((a) => a.name !== CHECKSUM_AGENT) ?? [];
  agents.push(create(ModelRepositoryAgents_AgentSchema, { name: CHECKSUM_AGENT, parameters }));
  config.modelRepositoryAgents = create(ModelRepositoryAgentsSchema, { agents });
}

/** The config without its checksum agent (so a stale digest does not stop regenerating them). */
export function withoutChecksumAgent(config: ModelConfig): void {
  const agents = config.modelRepositoryAgents?.agents.filter((a) => a.name !== CHECKSUM_AGENT) ?? [];
  config.modelRepositoryAgents = agents.length > 0 ? create(ModelRepositoryAgentsSchema, { agents }) : undefined;
}
