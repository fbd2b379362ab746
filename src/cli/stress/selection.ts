import { GRPC_SCENARIOS } from './grpc-scenarios.ts';
import { type Scenario, SCENARIOS } from './scenarios.ts';

/** Every scenario `nereid stress` knows, HTTP then gRPC. */
export const ALL_SCENARIOS: readonly Scenario[] = [...SCENARIOS, ...GRPC_SCENARIOS];

/** Scenarios that need the driver's own servers (the POLL server; a server that takes 256 MiB HTTP bodies). */
const OWN_SERVERS_ONLY = new Set(['poll_reload', 'huge_tensor_deadline']);

export interface Selection {
  scenarios: Scenario[];
  /** Report lines naming what was left out and why. */
  skipped: string[];
}

/**
 * The scenarios of a run: `only` (all when empty), less those an existing server (`url`) cannot
 * take, less the gRPC ones when that server's gRPC address (`grpcUrl`) was not given.
 */
export function selectScenarios(opts: { url?: string; grpcUrl?: string; only?: readonly string[] }): Selection {
  const wanted = opts.only?.length ? ALL_SCENARIOS.filter((s) => opts.only!.includes(s.name)) : [...ALL_SCENARIOS];
  const external = wanted.filter((s) => !opts.url || !OWN_SERVERS_ONLY.has(s.name));
  const noGrpc = opts.url !== undefined && opts.grpcUrl === undefined;
  const grpcNames = new Set(GRPC_SCENARIOS.map((s) => s.name));
  const left = external.filter((s) => grpcNames.has(s.name) && noGrpc).map((s) => s.name);
  return {
    scenarios: external.filter((s) => !left.includes(s.name)),
    skipped: left.length ? [`gRPC scenarios skipped (no --grpc-url given with -u): ${left.join(', ')}`] : [],
  };
}
