// `nereid validate DIR...`: checks repositories the way `serve` would load them, without serving.
import { createLogger, type InferenceServer, type ProviderPreference, type RepositoryMount, silentLogger, validateRepositories } from '../../core/index.ts';
import type { CreateServerOptions } from '../../platform/shape.ts';
import { type ArgsError, formatHelp, type ParsedArgs, parseArgs, usageError } from '../args.ts';
import { VALIDATE_FLAGS } from './flags.ts';
import { formatReport } from './format.ts';

/** What differs between runtimes: their repository mounts and composition root. */
export interface ValidateHost {
  isDirectory(path: string): boolean;
  repositoryMount(spec: string): RepositoryMount;
  createServer(opts: CreateServerOptions): Promise<InferenceServer>;
}

const USAGE = `Usage: nereid validate DIR... [flags]

Loads every model of the repositories DIR... as 'nereid serve' would (layout, config.pbtxt, auto-complete,
the config against the model file, checksums, ensembles, backends, warm-up) without serving, and reports
each problem on one line. Exit code 0 when everything passes, 1 when something fails, 2 for usage errors.`;

/** Parses flags and positionals; a number is the exit code of --help or a usage error. */
function parse(argv: readonly string[]): { flags: ParsedArgs; repos: string[] } | number {
  try {
    const { flags, positionals } = parseArgs(argv, VALIDATE_FLAGS);
    if (flags.help) {
      console.log(`${USAGE}\n\n${formatHelp(VALIDATE_FLAGS)}`);
      return 0;
    }
    return { flags, repos: [...positionals, ...(flags['model-repository'] as string[])] };
  } catch (e) {
    if ((e as Error).name === 'ArgsError') return usageError((e as ArgsError).message, 'validate');
    throw e;
  }
}

/** Runs `nereid validate`; resolves with the exit code. Nothing is written into the repositories. */
export async function runValidateCommand(argv: string[], host: ValidateHost): Promise<number> {
  const parsed = parse(argv);
  if (typeof parsed === 'number') return parsed;
  const { flags, repos } = parsed;
  if (repos.length === 0) return usageError('no repository given (usage: nereid validate DIR... [flags])', 'validate');
  const mounts = repos.map((r) => host.repositoryMount(r));
  const missing = repos.find((_, i) => !host.isDirectory(mounts[i]!.label!));
  if (missing !== undefined) return usageError(`'${missing}' is not a directory`, 'validate');
  const namespacing = flags['model-namespacing'] as boolean;
  if (namespacing) {
    const names = mounts.map((m) => m.namespace);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) return usageError(`two repositories have the namespace '${twice}'; name them NAME=DIR`, 'validate');
  }
  const verbose = flags['log-verbose'] as number;
  const autoComplete = !(flags['disable-auto-complete-config'] || flags['strict-model-config']);
  const configName = flags['model-config-name'] as string | undefined;
  const server = await host.createServer({
    repositories: mounts,
    controlMode: 'explicit',
    exitOnError: false,
    namespacing,
    autoComplete,
    configName,
    executionProvider: flags['execution-provider'] as ProviderPreference,
    // The server's log goes to stderr, so that --json output stays parseable.
    log: verbose > 0 ? createLogger({ verbose: verbose - 1, write: (line) => console.error(line) }) : silentLogger,
  });
  try {
    await server.start();
    const report = await validateRepositories({ server, repositories: mounts, namespacing, autoComplete, configName, infer: flags.infer as boolean });
    console.log(flags.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.ok ? 0 : 1;
  } finally {
    await server.stop(0);
  }
}
