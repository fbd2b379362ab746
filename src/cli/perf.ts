import { readFileSync, writeFileSync } from 'node:fs';
import { commandError, parseCommand, usageError } from './args.ts';
import { PERF_FLAGS } from './perf-flags.ts';
import { serverUrl } from './server-url.ts';
import { fileErrorLine } from './system-errors.ts';
import { type InputData, parseInputFile, parseRange, runPerf } from '../tools/perf/index.ts';
import { nodeHttpTransport } from './perf-transport.ts';
import { grpcPerfClient } from './perf-grpc.ts';
import { outputFileProblem } from './output-file.ts';

/** `nereid perf`: a perf_analyzer-compatible load generator for any KServe v2 HTTP or Triton gRPC server. */
export async function runPerfCli(argv: string[]): Promise<number> {
  const flags = parseCommand(argv, PERF_FLAGS, 'Usage: nereid perf -m MODEL [-u HOST:PORT] [-i http|grpc [--streaming]] [flags]', 'perf');
  if (typeof flags === 'number') return flags;
  if (!flags['model-name']) return usage('-m/--model-name is required');
  const grpc = flags.protocol === 'grpc';
  if (flags.streaming && !grpc) return usage('--streaming needs -i grpc (streams are gRPC ModelStreamInfer)');
  if (flags['concurrency-range'] && flags['request-rate-range']) return usage('give either --concurrency-range or --request-rate-range, not both');
  const address = String(flags.url ?? (grpc ? 'localhost:8001' : 'localhost:8000'));
  const url = serverUrl(address);
  if (url === undefined) return usage(`invalid -u/--url '${address}': expected HOST:PORT or http://HOST:PORT`);
  if (grpc && url.startsWith('https:')) return usage(`-u/--url '${address}': -i grpc speaks plain HTTP/2 (no TLS); give HOST:PORT`);
  const shapes = new Map<string, number[]>();
  for (const s of flags.shape as string[]) {
    const [name, dims] = s.split(':');
    if (!name || !dims || !/^\d+(,\d+)*$/.test(dims)) return usage(`invalid --shape '${s}': expected NAME:D1,D2,...`);
    shapes.set(name, dims.split(',').map(Number));
  }
  const input = readInputData(String(flags['input-data']));
  if ('error' in input) return fail(input.error);
  const inputData = input.data;
  const file = flags['latency-report-file'] as string | undefined;
  const unwritable = file === undefined ? undefined : outputFileProblem('--latency-report-file', file);
  if (unwritable) return fail(unwritable);
  const grpcClient = grpc ? grpcPerfClient(new URL(url).host, { streaming: flags.streaming as boolean }) : undefined;
  try {
    const tty = process.stderr.isTTY;
    const { csv } = await runPerf({
      url,
      client: grpcClient,
      model: String(flags['model-name']),
      version: flags['model-version'] as string | undefined,
      batch: flags['batch-size'] as number,
      concurrency: flags['request-rate-range'] ? undefined : parseRange(String(flags['concurrency-range'] ?? '1'), '--concurrency-range'),
      rate: flags['request-rate-range'] ? parseRange(String(flags['request-rate-range']), '--request-rate-range') : undefined,
      inputData,
      shapes,
      binary: !(flags.json as boolean) && (flags.binary as boolean),
      intervalMs: flags['measurement-interval'] as number,
      stabilityPct: flags['stability-percentage'] as number,
      maxTrials: flags['max-trials'] as number,
      percentile: flags.percentile as number | undefined,
      sequenceLength: flags['sequence-length'] as number,
      sequenceIdStart: Number(flags['sequence-id-range']),
      transport: nodeHttpTransport(),
      onProgress: (line) => (tty ? process.stderr.write(`\r\x1b[2K${line}`) : process.stderr.write(`${line}\n`)),
      onResult: (summary) => {
        if (tty) process.stderr.write('\r\x1b[2K');
        console.log(summary);
      },
    });
    if (file) {
      try {
        writeFileSync(file, csv);
      } catch (e) {
        const line = fileErrorLine('write', `--latency-report-file '${file}'`, e);
        if (line === undefined) throw e;
        return fail(line);
      }
      console.log(`wrote ${file}`);
    }
    return 0;
  } catch (e) {
    if ((e as Error).name === 'PerfError') return fail((e as Error).message);
    throw e;
  } finally {
    grpcClient?.close();
  }
}

const usage = (message: string) => usageError(message, 'perf');
const fail = (message: string) => commandError(message, 'perf');

/** `zero`, `random`, or a perf_analyzer JSON data file; or the one-line reason it cannot be used. */
function readInputData(spec: string): { data: InputData } | { error: string } {
  if (spec === 'zero' || spec === 'random') return { data: spec };
  let text: string;
  try {
    text = readFileSync(spec, 'utf8');
  } catch (e) {
    const line = fileErrorLine('read', `--input-data '${spec}'`, e);
    if (line === undefined) throw e;
    return { error: line };
  }
  try {
    return { data: parseInputFile(text) };
  } catch (e) {
    if ((e as Error).name === 'SyntaxError') return { error: `--input-data '${spec}' is not valid JSON (${(e as Error).message})` };
    if ((e as Error).name === 'PerfError') return { error: `--input-data '${spec}': ${(e as Error).message}` };
    throw e;
  }
}
