// `serve`, shared by the Node and Deno CLIs: flags → server → HTTP and metrics listeners → drain on
// SIGINT/SIGTERM. Each runtime supplies only what differs (its composition root, listeners, signals).
import { createLogger, type InferenceServer, isServerError, type Logger, type ProviderPreference, type RepositoryMount } from '../core/index.ts';
import type { CreateServerOptions, GrpcListener, GrpcListenOptions, Listener, ListenOptions, ServeOptions } from '../platform/shape.ts';
import { parseRestriction } from '../transports/http/restricted.ts';
import { commandError, type ParsedArgs, parseCommand, usageError } from './args.ts';
import { type GrpcPlan, grpcPlan } from './grpc-flags.ts';
import { checkPorts, type HeldPort, listenFailure, type ListenerSpec } from './listeners.ts';
import { SERVE_FLAGS } from './serve-flags.ts';
import { waitForRepositories } from './wait-repositories.ts';

/** What the serve command gives a runtime's `createServer`. */
export interface ServeServerOptions extends CreateServerOptions {
  repositories: string[];
  executionProvider: ProviderPreference;
  executionTimeoutMs: number;
}

export interface ServeHost {
  /** First line of `--help`. */
  usage: string;
  isDirectory(path: string): boolean;
  repositoryMount(spec: string): RepositoryMount;
  createServer(opts: ServeServerOptions): Promise<InferenceServer>;
  serve(server: InferenceServer, opts: ServeOptions): Promise<Listener>;
  serveMetrics(server: InferenceServer, opts: ListenOptions): Promise<Listener>;
  serveGrpc(server: InferenceServer, opts: GrpcListenOptions): Promise<GrpcListener>;
  /** Binds `port` on `address` (rejecting with the system error code) until closed: checks a port before models load. */
  holdPort(port: number, address: string): Promise<HeldPort>;
  onSignal(listener: (signal: string) => void): void;
  /** An environment variable (MODEL_INIT_MODE). */
  env(name: string): string | undefined;
  /** Logged before the server is created. */
  banner?(log: Logger, flags: ParsedArgs): void;
}

/** A second SIGINT/SIGTERM within this long of the first is a duplicate; after it, it means "exit now". */
const REPEAT_WINDOW_MS = 1000;

/** Runs `serve` with Triton's flags; resolves with the exit code once the server has stopped. */
export async function runServeCommand(argv: string[], host: ServeHost): Promise<number> {
  const flags = parseCommand(argv, SERVE_FLAGS, host.usage);
  if (typeof flags === 'number') return flags;
  const repos = flags['model-repository'] as string[];
  if (repos.length === 0) return usageError('--model-repository must be specified');
  // KServe sets MODEL_INIT_MODE=async for model images: a missing repository is waited for, not an error.
  const asyncInit = host.env('MODEL_INIT_MODE') === 'async';
  const repoDirs = repos.map((r) => host.repositoryMount(r).label!);
  for (const [i, r] of repos.entries()) {
    if (!asyncInit && !host.isDirectory(repoDirs[i]!))
      return usageError(`invalid value '${r}' for --model-repository: repository path is not a valid directory`);
  }
  const mode = flags['model-control-mode'] as 'none' | 'poll' | 'explicit';
  const loadModels = flags['load-model'] as string[];
  if (loadModels.length > 0 && mode !== 'explicit') return usageError(`Use of '--load-model' requires setting '--model-control-mode=explicit' as well.`);
  if (loadModels.includes('*') && loadModels.length > 1) return usageError(`Wildcard model name '*' must be the ONLY startup model if specified at all.`);
  let restricted: ReturnType<typeof parseRestriction>[];
  try {
    restricted = (flags['http-restricted-api'] as string[]).map((r) => parseRestriction(r));
  } catch (e) {
    return usageError((e as Error).message);
  }
  const grpc = grpcPlan(flags);
  if (typeof grpc === 'string') return usageError(grpc);
  const { http: httpSpec, metrics: metricsSpec } = listenerSpecs(flags);
  // Before any model loads: a taken port is reported at once, not after minutes of loading.
  const specs = [httpSpec, ...(metricsSpec ? [metricsSpec] : []), ...(grpc ? [grpc.spec] : [])];
  const portProblem = await checkPorts(specs, host.holdPort);
  if (portProblem) return commandError(portProblem);
  const log = createLogger({ verbose: flags['log-verbose'] as number, format: flags['log-format'] as 'default' | 'json' });
  host.banner?.(log, flags);
  for (const flag of grpc?.ignored ?? []) log.warn(`${flag} has no effect: the gRPC server (grpc-js) has no such setting (accepted for Triton compatibility)`);
  const server = await host.createServer({
    repositories: repos,
    id: flags.id as string,
    controlMode: mode,
    startupModels: loadModels,
    strictReadiness: flags['strict-readiness'] as boolean,
    autoComplete: !(flags['disable-auto-complete-config'] || flags['strict-model-config']),
    exitOnError: flags['exit-on-error'] as boolean,
    namespacing: flags['model-namespacing'] as boolean,
    configName: flags['model-config-name'] as string | undefined,
    loadConcurrency: flags['model-load-thread-count'] as number,
    executionProvider: flags['execution-provider'] as ProviderPreference,
    executionTimeoutMs: (flags['execution-timeout-secs'] as number) * 1000,
    pollIntervalMs: (flags['repository-poll-secs'] as number) * 1000,
    log,
  });
  const exitTimeoutSecs = flags['exit-timeout-secs'] as number;
  const listen = () => openListeners(host, server, log, flags, { http: httpSpec, metrics: metricsSpec, grpc }, restricted);
  // One signal listener for the whole run; what a signal does depends on how far the start got.
  let onSignal: (signal: string) => void = () => {};
  const listenForSignals = () => host.onSignal((signal) => onSignal(signal));
  let listening: Listening | undefined;
  if (asyncInit) {
    // Listen first, live but not ready, so the kubelet's probes see a healthy process while the
    // repository appears and the models load; a signal before the models are up exits at once.
    listening = await listen();
    if (!listening) return 1;
    const early = listening;
    const stopped = new AbortController();
    const exitEarly = new Promise<number>((resolveEarly) => {
      onSignal = (signal) => {
        log.info(`received ${signal} before the models finished loading; exiting`);
        stopped.abort();
        void closeListeners(early).then(() => resolveEarly(0));
      };
    });
    listenForSignals();
    // Announced only once a signal is handled: whoever waits for this line may signal at once.
    log.info(`HTTP server listening on ${early.http.url}${threadsNote(early.http)} (MODEL_INIT_MODE=async: ready once the models load)`);
    const started = waitForRepositories(repoDirs, host.isDirectory, log, stopped.signal).then((found) => (found ? startServer(server, log) : 0));
    const code = await Promise.race([started, exitEarly]);
    if (stopped.signal.aborted) return exitEarly;
    if (code !== undefined) {
      await closeListeners(early);
      return code;
    }
  } else {
    const code = await startServer(server, log);
    if (code !== undefined) return code;
    listening = await listen();
    if (!listening) return 1;
  }
  const { http, metrics, grpc: grpcListener } = listening;
  return new Promise<number>((resolveExit) => {
    let stoppingSince: number | undefined;
    onSignal = async (signal) => {
      if (stoppingSince !== undefined) {
        // A terminal's Ctrl-C reaches the whole process group, and launchers (npm, deno task)
        // forward it too: a repeat within a moment is that same signal, not a second request.
        if (Date.now() - stoppingSince < REPEAT_WINDOW_MS) {
          log.verbose(1, `received ${signal} again within ${REPEAT_WINDOW_MS} ms (forwarded by a launcher); still draining`);
          return;
        }
        log.warn(`received ${signal} again, exiting now`);
        resolveExit(1);
        return;
      }
      stoppingSince = Date.now();
      log.info(`received ${signal}, shutting down (in-flight requests get ${exitTimeoutSecs} s)`);
      // gRPC clients are told at once (GOAWAY) to take new calls elsewhere; open streams end once answered.
      grpcListener?.drain();
      await server.stop(exitTimeoutSecs * 1000);
      await http.close();
      await grpcListener?.close();
      await metrics?.close();
      log.info('server stopped');
      resolveExit(0);
    };
    if (!asyncInit) {
      listenForSignals();
      log.info(`HTTP server listening on ${http.url}${threadsNote(http)}`);
    }
  });
}

/** ` (N threads)` when front-end threads share the port. */
const threadsNote = (l: Listener) => (l.threads && l.threads > 1 ? ` (${l.threads} threads)` : '');

interface Listening {
  http: Listener;
  metrics?: Listener;
  grpc?: GrpcListener;
}

/** Loads the startup models and logs the index; an exit code when the start failed. */
async function startServer(server: InferenceServer, log: Logger): Promise<number | undefined> {
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
  return undefined;
}

async function closeListeners(l: Listening): Promise<void> {
  await Promise.all([l.http.close(), l.metrics?.close(), l.grpc?.close()]);
}

/** The HTTP listener and, with --allow-metrics (the default), the metrics listener. */
function listenerSpecs(flags: ParsedArgs): { http: ListenerSpec; metrics?: ListenerSpec } {
  const http: ListenerSpec = {
    portFlag: '--http-port',
    port: flags['http-port'] as number,
    addressFlag: '--http-address',
    address: flags['http-address'] as string,
  };
  if (!flags['allow-metrics']) return { http };
  const address = flags['metrics-address'] as string | undefined;
  return {
    http,
    metrics: {
      portFlag: '--metrics-port',
      port: flags['metrics-port'] as number,
      addressFlag: address ? '--metrics-address' : '--http-address',
      address: address ?? http.address,
    },
  };
}

/**
 * Opens the metrics, gRPC and HTTP listeners once the models are loaded (HTTP last: its line tells
 * that all are up). A port taken since the check gets the same one line; then the server stops and
 * undefined comes back (exit code 1).
 */
async function openListeners(
  host: ServeHost,
  server: InferenceServer,
  log: Logger,
  flags: ParsedArgs,
  specs: { http: ListenerSpec; metrics?: ListenerSpec; grpc?: GrpcPlan },
  restricted: ServeOptions['restricted'],
): Promise<Listening | undefined> {
  const { http: httpSpec, metrics: metricsSpec } = specs;
  const opened: { close(): Promise<void> }[] = [];
  const open = async <L extends { close(): Promise<void> }>(spec: ListenerSpec, listen: () => Promise<L>): Promise<L | undefined> => {
    try {
      const l = await listen();
      opened.push(l);
      return l;
    } catch (e) {
      const line = listenFailure(spec, e);
      if (line === undefined) throw e;
      commandError(line);
      await server.stop(0);
      await Promise.all(opened.map((o) => o.close()));
      return undefined;
    }
  };
  let metrics: Listener | undefined;
  if (metricsSpec) {
    metrics = await open(metricsSpec, () => host.serveMetrics(server, { port: metricsSpec.port, address: metricsSpec.address }));
    if (!metrics) return undefined;
    log.info(`Metrics server listening on ${metrics.url}/metrics`);
  }
  let grpc: GrpcListener | undefined;
  if (specs.grpc) {
    const plan = specs.grpc;
    grpc = await open(plan.spec, () => host.serveGrpc(server, { ...plan.options, threads: flags['http-thread-count'] as number }));
    if (!grpc) return undefined;
    log.info(`GRPC server listening on ${grpc.url}`);
  }
  const http = await open(httpSpec, () =>
    host.serve(server, {
      port: httpSpec.port,
      address: httpSpec.address,
      maxInputSize: flags['http-max-input-size'] as number,
      maxPending: flags['http-max-pending'] as number,
      maxHeaderSize: flags['http-max-header-size'] as number,
      restricted,
      corsOrigin: flags['http-cors-origin'] as string[],
      threads: flags['http-thread-count'] as number,
    }),
  );
  return http ? { http, metrics, grpc } : undefined;
}
