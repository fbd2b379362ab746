import { statSync } from 'node:fs';
import { ArgsError, formatHelp, parseArgs } from '../cli/args.ts';
import { SERVE_FLAGS } from '../cli/serve-flags.ts';
import { createLogger, isServerError, NEREID_VERSION } from '../../core/index.ts';
import { parseRestriction } from '../../transports/http/restricted.ts';
import type { ProviderName } from '../ort/router.ts';
import { createServer, repositoryMount } from './index.ts';
import { runPerfCli } from './perf-cli.ts';
import { runStress } from './stress/index.ts';
import { STRESS_FLAGS } from '../cli/stress-flags.ts';
import { writeRepositoryIndex } from './repo-index.ts';
import { serve, serveMetrics } from './serve.ts';

const COMMANDS = `Usage: nereid <command> [flags]

Commands:
  serve             Serve model repositories over the KServe v2 HTTP API (Triton's flags)
  perf              Measure a model's throughput and latency (perf_analyzer's method and CSV)
  stress            Run weighted stress scenarios (sequences, disconnects, huge tensors, reloads) and report
  repo index DIR    Write DIR/repository.json, the listing browsers use to load a repository over HTTP

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
  if (command !== 'serve') return usageError(`unknown command '${command}' (commands: serve, perf, stress, repo)`);
  return runServe(rest);
}

function usageError(message: string): number {
  console.error(`nereid: ${message}`);
  return 2;
}

async function runServe(argv: string[]): Promise<number> {
  let flags;
  try {
    const parsed = parseArgs(argv, SERVE_FLAGS);
    if (parsed.positionals.length > 0) throw new ArgsError(`unexpected argument '${parsed.positionals[0]}'`);
    flags = parsed.flags;
  } catch (e) {
    if (e instanceof ArgsError) return usageError(e.message);
    throw e;
  }
  if (flags.help) {
    console.log(`Usage: nereid serve --model-repository DIR [flags]\n\n${formatHelp(SERVE_FLAGS)}`);
    return 0;
  }
  const repos = flags['model-repository'] as string[];
  if (repos.length === 0) return usageError('--model-repository must be specified');
  for (const r of repos) {
    const dir = repositoryMount(r).label!;
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return usageError(`invalid value '${r}' for --model-repository: repository path is not a valid directory`);
  }
  const mode = flags['model-control-mode'] as 'none' | 'poll' | 'explicit';
  const loadModels = flags['load-model'] as string[];
  if (loadModels.length > 0 && mode !== 'explicit') return usageError(`Use of '--load-model' requires setting '--model-control-mode=explicit' as well.`);
  if (loadModels.includes('*') && loadModels.length > 1) return usageError(`Wildcard model name '*' must be the ONLY startup model if specified at all.`);
  let restricted;
  try {
    restricted = (flags['http-restricted-api'] as string[]).map(parseRestriction);
  } catch (e) {
    return usageError((e as Error).message);
  }
  const log = createLogger({ verbose: flags['log-verbose'] as number, format: flags['log-format'] as 'default' | 'json' });
  const server = await createServer({
    modelRepositories: repos,
    id: flags.id as string,
    controlMode: mode,
    startupModels: loadModels,
    strictReadiness: flags['strict-readiness'] as boolean,
    autoComplete: !(flags['disable-auto-complete-config'] || flags['strict-model-config']),
    exitOnError: flags['exit-on-error'] as boolean,
    namespacing: flags['model-namespacing'] as boolean,
    configName: flags['model-config-name'] as string | undefined,
    loadConcurrency: flags['model-load-thread-count'] as number,
    executionProvider: flags['execution-provider'] as ProviderName,
    executionTimeoutMs: (flags['execution-timeout-secs'] as number) * 1000,
    log,
  });
  try {
    await server.start();
  } catch (e) {
    log.error(`${isServerError(e) ? e.message : String(e)}; exiting (use --exit-on-error=false to serve the models that loaded)`);
    await server.stop(0);
    return 1;
  }
  for (const e of await server.index()) {
    log.info(`model ${e.name}${e.version ? ` version ${e.version}` : ''}: ${e.state ?? 'not loaded'}${e.reason ? ` (${e.reason})` : ''}`);
  }
  const metrics = flags['allow-metrics']
    ? await serveMetrics(server, { port: flags['metrics-port'] as number, address: (flags['metrics-address'] as string | undefined) ?? (flags['http-address'] as string) })
    : undefined;
  if (metrics) log.info(`Metrics server listening on ${metrics.url}/metrics`);
  const http = await serve(server, {
    port: flags['http-port'] as number,
    address: flags['http-address'] as string,
    maxInputSize: flags['http-max-input-size'] as number,
    maxPending: flags['http-max-pending'] as number,
    maxHeaderSize: flags['http-max-header-size'] as number,
    restricted,
    corsOrigin: flags['http-cors-origin'] as string[],
  });
  log.info(`HTTP server listening on ${http.url}`);
  const pollSecs = flags['repository-poll-secs'] as number;
  const poller = mode === 'poll' && pollSecs > 0 ? setInterval(() => void server.manager.poll(), pollSecs * 1000) : undefined;
  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const onSignal = async (signal: string) => {
      if (stopping) {
        log.warn(`received ${signal} again, exiting now`);
        resolveExit(1);
        return;
      }
      stopping = true;
      log.info(`received ${signal}, shutting down (in-flight requests get ${flags['exit-timeout-secs']} s)`);
      if (poller) clearInterval(poller);
      await server.stop((flags['exit-timeout-secs'] as number) * 1000);
      await http.close();
      await metrics?.close();
      log.info('server stopped');
      resolveExit(0);
    };
    process.on('SIGINT', (s) => void onSignal(s));
    process.on('SIGTERM', (s) => void onSignal(s));
  });
}

function runRepo(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs(argv, [
      { name: 'output', type: 'string', meta: 'FILE', help: 'Where to write the listing (default: DIR/repository.json)' },
      { name: 'help', type: 'bool', default: false, help: 'Show this help' },
    ]);
  } catch (e) {
    if (e instanceof ArgsError) return usageError(e.message);
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
  const listing = writeRepositoryIndex(dir, parsed.flags.output as string | undefined);
  console.log(`wrote ${(parsed.flags.output as string | undefined) ?? `${dir}/repository.json`}: ${listing.files.length} files, ${listing.files.reduce((n, f) => n + f.size, 0)} bytes`);
  return 0;
}

async function runStressCli(argv: string[]): Promise<number> {
  let flags;
  try {
    const parsed = parseArgs(argv, STRESS_FLAGS);
    if (parsed.positionals.length > 0) throw new ArgsError(`unexpected argument '${parsed.positionals[0]}'`);
    flags = parsed.flags;
  } catch (e) {
    if (e instanceof ArgsError) return usageError(e.message);
    throw e;
  }
  if (flags.help) {
    console.log(`Usage: nereid stress [--duration SECONDS] [--clients N] [-u HOST:PORT]\n\n${formatHelp(STRESS_FLAGS)}`);
    return 0;
  }
  return runStress({
    durationS: flags.duration as number,
    clients: flags.clients as number,
    url: flags.url as string | undefined,
    seed: flags.seed as number,
    reportFile: flags.report as string | undefined,
    out: (line) => console.log(line),
  });
}
