// `deno run -A src/cli/deno.ts [serve] --model-repository DIR ...`: the Deno server, with
// the same flags, messages and exit codes as the Node CLI (`nereid serve`).
import { NEREID_VERSION } from '../core/index.ts';
import type { DenoApi } from '../types/deno.d.ts';
import { formatHelp, usageError } from './args.ts';
import { SERVE_FLAGS } from './serve-flags.ts';
import { runServeCommand } from './serve-command.ts';
import { createServer, holdPort, repositoryMount, serve, serveGrpc, serveMetrics } from '../platform/deno/index.ts';

declare const Deno: DenoApi;

const USAGE = 'Usage: deno run -A src/cli/deno.ts [serve] --model-repository DIR [flags]';

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

function isDirectory(dir: string): boolean {
  try {
    return Deno.statSync(dir).isDirectory;
  } catch {
    return false;
  }
}

function runServe(argv: string[]): Promise<number> {
  return runServeCommand(argv, {
    usage: USAGE,
    isDirectory,
    repositoryMount,
    createServer,
    serve,
    serveMetrics,
    serveGrpc,
    holdPort,
    onSignal: (listener) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        try {
          Deno.addSignalListener(signal, () => listener(signal));
        } catch {
          // Windows has no SIGTERM listener; Ctrl-C (SIGINT) still works there
        }
      }
    },
    env: (name) => Deno.env.get(name),
    banner: (log, flags) => {
      const provider = flags['execution-provider'] as string;
      log.info(`Deno server; default execution provider: ${provider}${provider === 'webgpu' || provider === 'wasm' ? ' (onnxruntime-web)' : ''}`);
    },
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
