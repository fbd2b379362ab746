// `deno run -A src/platform/deno/cli.ts [serve] --model-repository DIR ...`: the Deno server, with
// the same flags, messages and exit codes as the Node CLI (`nereid serve`).
import { createLogger, isServerError, NEREID_VERSION } from '../../core/index.ts';
import type { DenoApi, DenoSignal } from '../../types/deno.d.ts';
import { ArgsError, formatHelp, parseArgs } from '../cli/args.ts';
import { SERVE_FLAGS } from '../cli/serve-flags.ts';
import { parseRestriction } from '../../transports/http/restricted.ts';
import type { ProviderName } from '../ort/router.ts';
import { createServer, repositoryMount, serve, serveMetrics } from './index.ts';

declare const Deno: DenoApi;

const USAGE = 'Usage: deno run -A src/platform/deno/cli.ts [serve] --model-repository DIR [flags]';

export async function main(args: string[]): Promise<number> {
  // `deno task serve -- FLAGS` passes the `--` on.
  const argv = args[0] === '--' ? args.slice(1) : args;
  if (argv[0] === '--version' || argv[0] === '-v') {
    console.log(NEREID_VERSION);
    return 0;
  }
  if (argv[0] === 'help') {
    console.log(`${USAGE}\n\n${formatHelp(SERVE_FLAGS)}`);
    return 0;
  }
  if (argv[0] === 'repo') return usageError("the 'repo' command is part of the Node CLI (npx nereid repo index DIR)");
  if (argv[0] !== undefined && argv[0] !== 'serve' && !argv[0].startsWith('-')) return usageError(`unknown command '${argv[0]}' (commands: serve)`);
  return runServe(argv[0] === 'serve' ? argv.slice(1) : argv);
}

function usageError(message: string): number {
  console.error(`nereid: ${message}`);
  return 2;
}

function isDirectory(dir: string): boolean {
  try {
    return Deno.statSync(dir).isDirectory;
  } catch {
    return false;
  }
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
    console.log(`${USAGE}\n\n${formatHelp(SERVE_FLAGS)}`);
    return 0;
  }
  const repos = flags['model-repository'] as string[];
  if (repos.length === 0) return usageError('--model-repository must be specified');
  for (const r of repos) {
    if (!isDirectory(repositoryMount(r).label!)) return usageError(`invalid value '${r}' for --model-repository: repository path is not a valid directory`);
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
  const provider = flags['execution-provider'] as ProviderName;
  log.info(`Deno server; default execution provider: ${provider}${provider === 'webgpu' || provider === 'wasm' ? ' (onnxruntime-web)' : ''}`);
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
    executionTimeoutMs: (flags['execution-timeout-secs'] as number) * 1000,
    executionProvider: provider,
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
    restricted,
    corsOrigin: flags['http-cors-origin'] as string[],
  });
  log.info(`HTTP server listening on ${http.url}`);
  const pollSecs = flags['repository-poll-secs'] as number;
  const poller = mode === 'poll' && pollSecs > 0 ? setInterval(() => void server.manager.poll(), pollSecs * 1000) : undefined;
  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const onSignal = async (signal: DenoSignal) => {
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
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      try {
        Deno.addSignalListener(signal, () => void onSignal(signal));
      } catch {
        // Windows has no SIGTERM listener; Ctrl-C (SIGINT) still works there
      }
    }
  });
}

if ((import.meta as ImportMeta & { main?: boolean }).main) {
  main(Deno.args).then(
    (code) => Deno.exit(code),
    (e: unknown) => {
      console.error(`nereid: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      Deno.exit(1);
    },
  );
}
