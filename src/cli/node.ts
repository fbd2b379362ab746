import { statSync } from 'node:fs';
import { join } from 'node:path';
import { commandError, formatHelp, parseArgs, usageError } from './args.ts';
import { fileErrorLine } from './system-errors.ts';
import { outputFileProblem } from './output-file.ts';
import { SERVE_FLAGS } from './serve-flags.ts';
import { NEREID_VERSION } from '../core/index.ts';
import { runServeCommand } from './serve-command.ts';
import { createServer, repositoryMount } from '../platform/node/index.ts';
import { runPerfCli } from './perf.ts';
import { runStressCli } from './stress/command.ts';
import { LISTING_FILE, writeRepositoryIndex } from './repo-index.ts';
import { holdPort, serve, serveGrpc, serveMetrics } from '../platform/node/listen.ts';
import { runValidateCommand } from './validate/command.ts';
import { runConfigCommand } from './validate/config-generate.ts';
import { nodeConfigHost, nodeValidateHost } from './validate/node-host.ts';

const COMMANDS = `Usage: nereid <command> [flags]

Commands:
  serve             Serve model repositories over the KServe v2 HTTP API (Triton's flags)
  perf              Measure a model's throughput and latency (perf_analyzer's method and CSV)
  stress            Run weighted stress scenarios (sequences, disconnects, huge tensors, reloads) and report
  repo index DIR    Write DIR/repository.json, the listing browsers use to load a repository over HTTP
  validate DIR...   Load every model of the repositories as serve would, without serving, and report each problem
  config generate MODEL_DIR
                    Print the model's auto-completed config.pbtxt to review and commit (--checksums adds digests)

Run 'nereid <command> --help' for the flags of a command. 'nereid --help' shows the serve flags too.`;

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-v') {
    console.log(NEREID_VERSION);
    return 0;
  }
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'serve';
  const rest = argv[0] === command ? argv.slice(1) : argv;
  if (command === 'help' || ((argv[0] === '--help' || argv[0] === '-h') && argv.length === 1)) {
    console.log(`${COMMANDS}\n\nnereid serve flags:\n${formatHelp(SERVE_FLAGS)}`);
    return 0;
  }
  if (command === 'repo') return runRepo(rest);
  if (command === 'perf') return runPerfCli(rest);
  if (command === 'stress') return runStressCli(rest);
  if (command === 'validate') return runValidateCommand(rest, nodeValidateHost);
  if (command === 'config') return runConfigCommand(rest, nodeConfigHost);
  if (command !== 'serve') return usageError(`unknown command '${command}' (commands: serve, perf, stress, repo, validate, config)`);
  return runServe(rest);
}

function runServe(argv: string[]): Promise<number> {
  return runServeCommand(argv, {
    usage: 'Usage: nereid serve --model-repository DIR [flags]',
    isDirectory: (dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false,
    repositoryMount,
    createServer,
    serve,
    serveMetrics,
    serveGrpc,
    holdPort,
    onSignal: (listener) => {
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
    },
    env: (name) => process.env[name],
  });
}

function runRepo(argv: string[]): number {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv, [
      { name: 'output', type: 'string', meta: 'FILE', help: 'Where to write the listing (default: DIR/repository.json)' },
      { name: 'help', type: 'bool', default: false, help: 'Show this help' },
    ]);
  } catch (e) {
    if ((e as Error).name === 'ArgsError') return usageError((e as Error).message);
    throw e;
  }
  const [sub, dir, extra] = parsed.positionals;
  if (parsed.flags.help || sub === undefined) {
    console.log('Usage: nereid repo index DIR [--output FILE]\n\nWrites a listing of every model file (path, size, sha256) for the HTTP repository driver.');
    return parsed.flags.help ? 0 : 2;
  }
  if (sub !== 'index') return usageError(`unknown repo command '${sub}' (expected: index)`);
  if (!dir || extra !== undefined) return usageError('usage: nereid repo index DIR [--output FILE]');
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return usageError(`'${dir}' is not a directory`);
  const output = (parsed.flags.output as string | undefined) ?? join(dir, LISTING_FILE);
  const unwritable = outputFileProblem('--output', output);
  if (unwritable) return commandError(unwritable, 'repo');
  let listing: ReturnType<typeof writeRepositoryIndex>;
  try {
    listing = writeRepositoryIndex(dir, output);
  } catch (e) {
    const line = fileErrorLine('index', `'${dir}'`, e);
    if (line === undefined) throw e;
    return commandError(line, 'repo');
  }
  console.log(`wrote ${output}: ${listing.files.length} files, ${listing.files.reduce((n, f) => n + f.size, 0)} bytes`);
  return 0;
}
