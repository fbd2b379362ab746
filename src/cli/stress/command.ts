import { commandError, parseCommand, usageError } from '../args.ts';
import { outputFileProblem } from '../output-file.ts';
import { serverUrl } from '../server-url.ts';
import { STRESS_FLAGS } from '../stress-flags.ts';
import { connectFailure } from '../../tools/perf/client.ts';
import { grpcAddress, grpcUnreachable } from './grpc-address.ts';
import { runStress } from './index.ts';
import { ALL_SCENARIOS, selectScenarios } from './selection.ts';

const USAGE = 'Usage: nereid stress [--duration SECONDS] [--clients N] [-u HOST:PORT [--grpc-url HOST:PORT]] [--scenario NAME]...';

/** `nereid stress`: checks the flags (a mistake is one line: first what is malformed, then what is unreachable), then runs. */
export async function runStressCli(argv: string[]): Promise<number> {
  const flags = parseCommand(argv, STRESS_FLAGS, USAGE, 'stress');
  if (typeof flags === 'number') return flags;
  const urlText = flags.url as string | undefined;
  const url = urlText === undefined ? undefined : serverUrl(urlText);
  if (urlText !== undefined && url === undefined) return usageError(`invalid -u/--url '${urlText}': expected HOST:PORT or http://HOST:PORT`, 'stress');
  const grpcText = flags['grpc-url'] as string | undefined;
  const grpcUrl = grpcText === undefined ? undefined : grpcAddress(grpcText);
  if (grpcText !== undefined && url === undefined)
    return usageError('--grpc-url needs -u/--url (without them the driver starts its own servers, gRPC included)', 'stress');
  if (grpcText !== undefined && grpcUrl === undefined) return usageError(`invalid --grpc-url '${grpcText}': expected HOST:PORT`, 'stress');
  const only = ((flags.scenario as string[] | undefined) ?? []).flatMap((s) => s.split(',')).filter((s) => s !== '');
  const unknown = only.find((n) => !ALL_SCENARIOS.some((s) => s.name === n));
  if (unknown) return usageError(`unknown --scenario '${unknown}' (scenarios: ${ALL_SCENARIOS.map((s) => s.name).join(', ')})`, 'stress');
  if (selectScenarios({ url, grpcUrl, only }).scenarios.length === 0)
    return usageError(
      `no scenario left to run against -u: ${only.join(', ')} (poll_reload and huge_tensor_deadline need the driver's own servers, gRPC scenarios --grpc-url)`,
      'stress',
    );
  const report = flags.report as string | undefined;
  const unwritable = report === undefined ? undefined : outputFileProblem('--report', report);
  if (unwritable) return commandError(unwritable, 'stress');
  if (url !== undefined) {
    const unreachable = await fetch(`${url}/v2/health/live`).then(
      () => undefined,
      (e: unknown) => connectFailure(url, e),
    );
    if (unreachable) return commandError(unreachable, 'stress');
  }
  const grpcProblem = grpcUrl === undefined ? undefined : await grpcUnreachable(grpcUrl);
  if (grpcProblem) return commandError(grpcProblem, 'stress');
  return runStress({
    durationS: flags.duration as number,
    clients: flags.clients as number,
    url,
    grpcUrl,
    only,
    seed: flags.seed as number,
    reportFile: report,
    out: (line) => console.log(line),
  });
}
