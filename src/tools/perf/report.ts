import type { LevelResult } from './measure.ts';

const COLUMNS = [
  'Inferences/Second',
  'Client Send',
  'Network+Server Send/Recv',
  'Server Queue',
  'Server Compute Input',
  'Server Compute Infer',
  'Server Compute Output',
  'Client Recv',
  'p50 latency',
  'p90 latency',
  'p95 latency',
  'p99 latency',
] as const;

const round = (x: number) => String(Math.round(x));

function serverTotal(r: LevelResult): number {
  return r.server.queueUs + r.server.computeInputUs + r.server.computeInferUs + r.server.computeOutputUs;
}

/** perf_analyzer's CSV: its exact column names, times in µs, rows sorted by throughput. */
export function toCsv(results: readonly LevelResult[]): string {
  const first = results[0]?.mode === 'rate' ? 'Request Rate' : 'Concurrency';
  const rows = [...results]
    .sort((a, b) => a.throughput - b.throughput)
    .map((r) => {
      const network = Math.max(0, r.avgUs - r.clientSendUs - r.clientRecvUs - serverTotal(r));
      return [
        String(r.level),
        r.throughput.toFixed(2),
        round(r.clientSendUs),
        round(network),
        round(r.server.queueUs),
        round(r.server.computeInputUs),
        round(r.server.computeInferUs),
        round(r.server.computeOutputUs),
        round(r.clientRecvUs),
        round(r.p50Us),
        round(r.p90Us),
        round(r.p95Us),
        round(r.p99Us),
      ].join(',');
    });
  return `${[first, ...COLUMNS].join(',')}\n${rows.join('\n')}\n`;
}

/** The console summary for one level, in perf_analyzer's words. */
export function describe(r: LevelResult, percentile?: number): string {
  const name = r.mode === 'rate' ? 'Request Rate' : 'Concurrency';
  const lat = percentile
    ? `p${percentile} latency ${round(percentile === 50 ? r.p50Us : percentile === 90 ? r.p90Us : percentile === 95 ? r.p95Us : r.p99Us)} usec`
    : `latency ${round(r.avgUs)} usec`;
  const lines = [
    `${name}: ${r.level}, throughput: ${r.throughput.toFixed(2)} infer/sec, ${lat}${r.stable ? '' : ' (not stable)'}`,
    `  Client: request count ${r.requests}, errors ${r.errors}, invalid responses ${r.invalid}`,
    `    Avg latency: ${round(r.avgUs)} usec (send ${round(r.clientSendUs)} usec + recv ${round(r.clientRecvUs)} usec)`,
    `    p50 ${round(r.p50Us)} usec, p90 ${round(r.p90Us)} usec, p95 ${round(r.p95Us)} usec, p99 ${round(r.p99Us)} usec`,
    `  Server: inference count ${r.server.count}`,
    `    Avg request latency: ${round(serverTotal(r))} usec (queue ${round(r.server.queueUs)} usec + compute input ${round(r.server.computeInputUs)} usec + compute infer ${round(r.server.computeInferUs)} usec + compute output ${round(r.server.computeOutputUs)} usec)`,
  ];
  if (r.firstError) lines.push(`  First error: ${r.firstError}`);
  return lines.join('\n');
}
