import { internal, isServerError } from '../errors.ts';
import { type DirEntry, joinPath, type RepositoryDriver } from './driver.ts';

/** Sub-directories of a model directory that are never versions. */
const NOT_VERSIONS = new Set(['warmup', 'initial_state', 'configs']);

export interface ModelDirectory {
  /** Version numbers present (valid numeric directory names), ascending. */
  versions: number[];
  /**
   * Entries of the lexically first version directory (backend detection), links that cannot be
   * followed included: reading such a model file then says why it cannot be read.
   */
  firstVersionFiles: string[];
  /** Text of config.pbtxt (or configs/<name>.pbtxt), undefined when absent. */
  configText?: string;
  configPath: string;
}

const decoder = new TextDecoder();

/** A model repository: one driver, mounted under a namespace. */
export class Repository {
  readonly namespace: string;
  readonly driver: RepositoryDriver;
  /** How the repository is named in logs (its path or URL). */
  readonly label: string;

  constructor(namespace: string, driver: RepositoryDriver, label: string) {
    this.namespace = namespace;
    this.driver = driver;
    this.label = label;
  }

  /**
   * Model directory names (dot-directories are ignored). A link that cannot be followed counts
   * too, so that loading it reports why instead of the model silently not existing.
   */
  async listModels(): Promise<string[]> {
    const entries = await this.driver.list('');
    return entries
      .filter((e) => (e.kind === 'dir' || e.broken !== undefined) && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  }

  async hasModel(name: string): Promise<boolean> {
    const s = await this.driver.stat(joinPath(name));
    return s?.kind === 'dir';
  }

  async readModelDirectory(name: string, configName?: string): Promise<ModelDirectory> {
    const entries = await this.driver.list(joinPath(name));
    // A version directory behind a dangling link: its reason, rather than "no versions" later.
    const broken = entries.find((e) => e.broken !== undefined && isVersionName(e.name));
    if (broken) throw internal(broken.broken!);
    const versionDirs = entries.filter((e) => e.kind === 'dir' && isVersionName(e.name));
    const versions = versionDirs.map((e) => Number(e.name)).sort((a, b) => a - b);
    const first = versionDirs.map((e) => e.name).sort()[0];
    const firstVersionFiles = first === undefined ? [] : (await this.driver.list(joinPath(name, first))).map((e: DirEntry) => e.name);
    let configPath = joinPath(name, 'config.pbtxt');
    if (configName) {
      const custom = joinPath(name, 'configs', `${configName}.pbtxt`);
      if (await this.driver.stat(custom)) configPath = custom;
    }
    const configText = await this.readTextIfExists(configPath);
    return { versions, firstVersionFiles, configText, configPath };
  }

  private async readTextIfExists(path: string): Promise<string | undefined> {
    try {
      return decoder.decode(await this.driver.read(path));
    } catch (e) {
      if (isServerError(e) && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
  }
}

/** Version directory names: decimal integers without leading zeros (Triton ignores "01"). */
export function isVersionName(name: string): boolean {
  if (NOT_VERSIONS.has(name)) return false;
  return /^(0|[1-9]\d{0,15})$/.test(name);
}
