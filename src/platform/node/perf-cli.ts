import { readFileSync, writeFileSync } from 'node:fs';
import { parseCommand, usageError } from '../cli/args.ts';
import { PERF_FLAGS } from '../cli/perf-flags.ts';
import { parseInputFile, parseRange, PerfError, runPerf } from '../../tools/perf/index.ts';
import { nodeHttpTransport } from './http-transport.ts';

/** `nereid perf`: a perf_analyzer-compatible load generator for any KServe v2 HTTP server. */
export async function runPerfCli(argv: string[]): Promise<number> {
  const flags = parseCommand(argv, PERF_FLAGS, 'Usage: nereid perf -m MODEL [-u HOST:PORT] [flags]', 'perf');
  if (typeof flags === 'number') return flags;
  if (!flags['model-name']) return usage('-m/--model-name is required');
  if (flags.protocol === 'grpc') return usage("protocol 'grpc' is not supported yet; use -i http");
  if (flags['concurrency-range'] && flags['request-rate-range']) return usage('give either --concurrency-range or --request-rate-range, not both');
  try {
    const url = String(flags.url);
    const shapes = new Map<string, number[]>();
    for (const s of flags.shape as string[]) {
      const [name, dims] = s.split(':');
      if (!name || !dims || !/^\d+(,\d+)*$/.test(dims)) return usage(`invalid --shape '${s}': expected NAME:D1,D2,...`);
      shapes.set(name, dims.split(',').map(Number));
    }
    const data = String(flags['input-data']);
    const inputData = data === 'zero' || data === 'random' ? data : parseInputFile(readFileSync(data, 'utf8'));
    const tty = process.stderr.isTTY;
    const { csv } = await runPerf({
      url: /^https?:\/\//.test(url) ? url : `http://${url}`,
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
    const file = flags['latency-report-file'] as string | undefined;
    if (file) {
      writeFileSync(file, csv);
      console.log(`wrote ${file}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof PerfError || (e as { code?: string }).code === 'ENOENT' || e instanceof SyntaxError) {
      console.error(`nereid perf: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}

const usage = (message: string) => usageError(message, 'perf');
