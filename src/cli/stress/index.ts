import { rmSync, writeFileSync } from 'node:fs';
import { mulberry32 } from '../../tools/onnx/models.ts';
import { grpcInferenceClient, type InferenceClient } from '../grpc-client.ts';
import { fileErrorLine } from '../system-errors.ts';
import { mainRepository, pollRepository } from './repository.ts';
import type { DeadlineCall, Scenario, StressContext } from './scenarios.ts';
import { selectScenarios } from './selection.ts';
import { ServerProcess } from './servers.ts';

export interface StressOptions {
  durationS: number;
  clients: number;
  /** An existing server (HOST:PORT or URL); otherwise the driver starts its own on loopback. */
  url?: string;
  /** The gRPC address (HOST:PORT) of the server given with `url`; without it the gRPC scenarios are skipped. */
  grpcUrl?: string;
  /** Scenario names to run (all when empty). */
  only?: string[];
  seed: number;
  reportFile?: string;
  out: (line: string) => void;
}

interface Tally {
  runs: number;
  requests: number;
  wrong: number;
  unexpected: number;
}

const mb = (b?: number) => (b === undefined ? 'n/a' : `${(b / 2 ** 20).toFixed(1)} MB`);

/**
 * `nereid stress`: weighted scenarios modelled on Triton's long-running stress test, run by N
 * concurrent clients for a duration, against servers it starts (or one given with -u). Reports
 * requests per scenario, wrong results, unexpected errors, server restarts and resident memory.
 * Exit code 0 only when there were no wrong results, unexpected errors or restarts.
 */
export async function runStress(opts: StressOptions): Promise<number> {
  const { out } = opts;
  const notes: string[] = [];
  const note = (line: string) => {
    notes.push(line);
    out(line);
  };
  let main: ServerProcess | undefined;
  let poll: ServerProcess | undefined;
  let repos: string[] = [];
  if (!opts.url) {
    const mainRepo = mainRepository();
    const pollRepo = pollRepository();
    repos = [mainRepo, pollRepo];
    main = new ServerProcess(
      'main server',
      [
        '--model-repository',
        mainRepo,
        '--model-control-mode',
        'explicit',
        '--load-model',
        '*',
        '--http-max-input-size',
        String(1 << 30),
        '--exit-timeout-secs',
        '10',
      ],
      note,
    );
    poll = new ServerProcess(
      'poll server',
      ['--model-repository', pollRepo, '--model-control-mode', 'poll', '--repository-poll-secs', '1', '--exit-timeout-secs', '10'],
      note,
    );
    try {
      await Promise.all([main.start(), poll.start()]);
    } catch (e) {
      // One did not start: stop the other and leave no repository behind.
      await Promise.all([main.stop(), poll.stop()]);
      for (const r of repos) rmSync(r, { recursive: true, force: true });
      throw e;
    }
  }
  const given = opts.url ? (/^https?:\/\//.test(opts.url) ? opts.url : `http://${opts.url}`) : undefined;
  const rand = mulberry32(opts.seed);
  let corr = 1_000_000 + Math.floor(rand() * 1_000_000) * 1000;
  const grpc = grpcClients(() => (given ? opts.grpcUrl : main!.grpcAddress));
  const ctx: StressContext = {
    mainUrl: () => given ?? main!.url,
    pollUrl: () => poll?.url,
    pollRepo: repos[1],
    rand,
    nextId: () => corr++,
    last: new Map(),
    pollGeneration: { value: 0 },
    grpc: grpc.client,
    grpcAddress: grpc.address,
    mainRss: () => main?.sampleRss(),
    deadlineCalls: [],
  };
  const { scenarios, skipped } = selectScenarios({ url: given, grpcUrl: opts.grpcUrl, only: opts.only });
  const withGrpc = !given || opts.grpcUrl !== undefined;
  for (const line of skipped) out(line);
  const total = scenarios.reduce((n, s) => n + s.weight, 0);
  const pick = (): Scenario => {
    let r = rand() * total;
    for (const s of scenarios) if ((r -= s.weight) < 0) return s;
    return scenarios[0]!;
  };
  const tallies = new Map(scenarios.map((s) => [s.name, { runs: 0, requests: 0, wrong: 0, unexpected: 0 } as Tally]));
  const start = Date.now();
  const deadline = start + opts.durationS * 1000;
  let midSampled = false;
  const sampler = setInterval(() => {
    for (const s of [main, poll]) s?.sampleRss();
    if (!midSampled && Date.now() >= start + (opts.durationS * 1000) / 2) {
      midSampled = true;
      for (const s of [main, poll]) if (s) s.rss.mid = s.sampleRss();
    }
  }, 1000);
  const sum = (f: (t: Tally) => number) => [...tallies.values()].reduce((n, t) => n + f(t), 0);
  const live = setInterval(() => {
    const secs = Math.max(1, (Date.now() - start) / 1000);
    out(
      `t=${secs.toFixed(0)}s requests=${sum((t) => t.requests)} (${(sum((t) => t.requests) / secs).toFixed(0)}/s) wrong=${sum((t) => t.wrong)} unexpected=${sum((t) => t.unexpected)} restarts=${(main?.restarts ?? 0) + (poll?.restarts ?? 0)} rss=${mb(main?.sampleRss())}`,
    );
  }, 5000);
  const client = async () => {
    while (Date.now() < deadline) {
      const s = pick();
      const t = tallies.get(s.name)!;
      t.runs++;
      try {
        const o = await s.run(ctx);
        t.requests += o.requests;
        if (o.wrong) {
          t.wrong++;
          note(`WRONG ${s.name}: ${o.wrong}`);
        }
        if (o.unexpected) {
          t.unexpected++;
          note(`UNEXPECTED ${s.name}: ${o.unexpected}`);
        }
      } catch (e) {
        t.unexpected++;
        note(`UNEXPECTED ${s.name}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, client));
  clearInterval(live);
  clearInterval(sampler);
  for (const s of [main, poll]) if (s) s.rss.end = s.sampleRss();
  const healthy = await fetch(`${ctx.mainUrl()}/v2/health/live`)
    .then((r) => r.status === 200)
    .catch(() => false);
  if (!healthy) note('UNEXPECTED: the server is not live at the end of the run');
  const grpcHealthy = !withGrpc || (await grpcLive(ctx));
  if (!grpcHealthy) note('UNEXPECTED: the server is not live over gRPC at the end of the run');
  grpc.close();
  const exits: string[] = [];
  for (const [label, s] of [
    ['main server', main],
    ['poll server', poll],
  ] as const) {
    if (!s) continue;
    const code = await s.stop();
    exits.push(`${label}: SIGTERM → exit code ${code}`);
    if (code !== 0) note(`UNEXPECTED: ${label} exited with ${code} on SIGTERM`);
  }
  for (const r of repos) rmSync(r, { recursive: true, force: true });
  const restarts = (main?.restarts ?? 0) + (poll?.restarts ?? 0);
  const extra = [...skipped, ...(scenarios.some((s) => s.name === 'grpc_huge_deadline') ? [deadlineLine(ctx.deadlineCalls)] : [])];
  const report = renderReport(opts, scenarios, tallies, [main, poll], restarts, exits, extra, (Date.now() - start) / 1000);
  out(report);
  let unwritten = false;
  if (opts.reportFile) {
    try {
      writeFileSync(opts.reportFile, report);
    } catch (e) {
      const line = fileErrorLine('write', `--report '${opts.reportFile}'`, e);
      if (line === undefined) throw e;
      out(line);
      unwritten = true;
    }
  }
  const failed =
    unwritten ||
    sum((t) => t.wrong) > 0 ||
    sum((t) => t.unexpected) > 0 ||
    restarts > 0 ||
    !healthy ||
    !grpcHealthy ||
    exits.some((e) => !e.endsWith('exit code 0'));
  return failed ? 1 : 0;
}

function renderReport(
  opts: StressOptions,
  scenarios: Scenario[],
  tallies: Map<string, Tally>,
  servers: (ServerProcess | undefined)[],
  restarts: number,
  exits: string[],
  extra: string[],
  seconds: number,
): string {
  const lines: string[] = [];
  lines.push(`Stress run: ${seconds.toFixed(0)} s, ${opts.clients} clients, seed ${opts.seed}${opts.url ? `, against ${opts.url}` : ''}`);
  lines.push('');
  lines.push('| scenario | runs | requests | wrong results | unexpected errors | description |');
  lines.push('| --- | ---: | ---: | ---: | ---: | --- |');
  const all: Tally = { runs: 0, requests: 0, wrong: 0, unexpected: 0 };
  for (const s of scenarios) {
    const t = tallies.get(s.name)!;
    all.runs += t.runs;
    all.requests += t.requests;
    all.wrong += t.wrong;
    all.unexpected += t.unexpected;
    lines.push(`| ${s.name} | ${t.runs} | ${t.requests} | ${t.wrong} | ${t.unexpected} | ${s.description} |`);
  }
  lines.push(`| **total** | ${all.runs} | ${all.requests} | ${all.wrong} | ${all.unexpected} | ${(all.requests / seconds).toFixed(0)} requests/s |`);
  lines.push('');
  lines.push(`Server restarts: ${restarts}`);
  for (const [i, s] of servers.entries()) {
    if (!s) continue;
    const growth = s.rss.mid && s.rss.end ? ((s.rss.end - s.rss.mid) / s.rss.mid) * 100 : undefined;
    lines.push(
      `${i === 0 ? 'Main' : 'Poll'} server resident memory: start ${mb(s.rss.start)}, mid-run ${mb(s.rss.mid)}, end ${mb(s.rss.end)}, peak ${mb(s.rss.peak)}; growth over the second half ${growth === undefined ? 'n/a' : `${growth.toFixed(1)} %`}`,
    );
  }
  lines.push(...extra);
  lines.push(...exits);
  return lines.join('\n');
}

/** The 1 GB gRPC deadline calls for the report: how long each took to fail, and the main server's RSS before, during and after it. */
function deadlineLine(calls: DeadlineCall[]): string {
  if (calls.length === 0) return 'gRPC 1 GB deadline calls: 0';
  const took = calls.map((c) => `${(c.ms / 1000).toFixed(1)} s`).join(', ');
  const sent = calls.map((c) => mb(c.sent)).join(', ');
  const rss = calls.map((c) => `${mb(c.rssBefore)} → peak ${mb(c.rssPeak)} → ${mb(c.rssAfter)}`).join('; ');
  return `gRPC 1 GB deadline calls: ${calls.length}, DEADLINE_EXCEEDED on the client after ${took}, having sent ${sent} of the request; main server resident memory before → during → after each: ${rss}`;
}

async function grpcLive(ctx: StressContext): Promise<boolean> {
  try {
    return (await ctx.grpc().serverLive({}, { timeoutMs: 10_000 })).live;
  } catch {
    return false;
  }
}

/** One gRPC client for the main server's address of the moment (a restarted server has a new port). */
function grpcClients(address: () => string | undefined): { client(): InferenceClient; address(): string; close(): void } {
  let current: { address: string; client: InferenceClient; close(): void } | undefined;
  const addressNow = () => {
    const a = address();
    if (!a) throw new Error('the main server has no gRPC address');
    return a;
  };
  return {
    address: addressNow,
    client() {
      const a = addressNow();
      if (current?.address !== a) {
        current?.close();
        current = { address: a, ...grpcInferenceClient(a) };
      }
      return current.client;
    },
    close: () => current?.close(),
  };
}
