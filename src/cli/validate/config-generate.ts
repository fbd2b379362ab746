// `nereid config generate MODEL_DIR`: the auto-completed config.pbtxt of a model, to review and commit.
import {
  type DigestAlgorithm,
  generateConfig,
  type InferenceServer,
  type ProviderPreference,
  type RepositoryMount,
  silentLogger,
  toServerError,
} from '../../core/index.ts';
import type { CreateServerOptions } from '../../platform/shape.ts';
import { commandError, formatHelp, type ParsedArgs, parseArgs, usageError } from '../args.ts';
import { CONFIG_FLAGS } from './flags.ts';

/** What differs between runtimes, and the file-system steps the command needs. */
export interface ConfigHost {
  isDirectory(path: string): boolean;
  /** The repository holding a model directory (its parent), and the model's name. */
  modelLocation(modelDir: string): { mount: RepositoryMount; name: string };
  createServer(opts: CreateServerOptions): Promise<InferenceServer>;
  /** Why the output cannot be written there (checked before anything is read), or undefined. */
  outputProblem(file: string | undefined, modelDir: string, configName: string | undefined): string | undefined;
  write(file: string | undefined, text: string): void;
}

const USAGE = `Usage: nereid config generate MODEL_DIR [flags]

Prints the config.pbtxt the server completes for the model in MODEL_DIR (name, backend, inputs, outputs,
max_batch_size, batching, defaults), in protobuf text format, to review and commit. Instance groups are
left to the server that loads it unless the model's config sets them.`;

function parse(argv: readonly string[]): { flags: ParsedArgs; dir: string } | number {
  try {
    const { flags, positionals } = parseArgs(argv, CONFIG_FLAGS);
    if (flags.help) {
      console.log(`${USAGE}\n\n${formatHelp(CONFIG_FLAGS)}`);
      return 0;
    }
    const [sub, dir, extra] = positionals;
    if (sub !== undefined && sub !== 'generate') return usageError(`unknown config command '${sub}' (expected: generate)`, 'config');
    if (dir === undefined || extra !== undefined) return usageError('usage: nereid config generate MODEL_DIR [flags]', 'config');
    return { flags, dir };
  } catch (e) {
    if ((e as Error).name === 'ArgsError') return usageError((e as Error).message, 'config');
    throw e;
  }
}

/** Runs `nereid config generate`; resolves with the exit code. */
export async function runConfigCommand(argv: string[], host: ConfigHost): Promise<number> {
  const parsed = parse(argv);
  if (typeof parsed === 'number') return parsed;
  const { flags, dir } = parsed;
  if (!host.isDirectory(dir)) return usageError(`'${dir}' is not a directory`, 'config');
  const configName = flags['model-config-name'] as string | undefined;
  const unwritable = host.outputProblem(flags.output as string | undefined, dir, configName);
  if (unwritable) return usageError(unwritable, 'config');
  const { mount, name } = host.modelLocation(dir);
  const server = await host.createServer({
    repositories: [mount],
    controlMode: 'explicit',
    exitOnError: false,
    configName,
    executionProvider: flags['execution-provider'] as ProviderPreference,
    log: silentLogger,
  });
  try {
    await server.start();
    const checksums = flags.checksums ? ((flags['checksum-algorithm'] as string).toUpperCase() as DigestAlgorithm) : undefined;
    const text = await generateConfig({ server, repository: mount, name, configName, checksums });
    host.write(flags.output as string | undefined, text);
    return 0;
  } catch (e) {
    return commandError(toServerError(e).message, 'config');
  } finally {
    await server.stop(0);
  }
}
