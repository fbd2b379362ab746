import type { FlagSpec } from './args.ts';

/** `nereid stress` flags. */
export const STRESS_FLAGS: readonly FlagSpec[] = [
  { name: 'duration', short: 'd', type: 'int', min: 1, default: 60, help: 'Seconds to run' },
  { name: 'clients', short: 't', type: 'int', min: 1, max: 256, default: 8, help: 'Concurrent clients' },
  {
    name: 'url',
    short: 'u',
    type: 'string',
    meta: 'HOST:PORT',
    help: 'Stress an existing server instead of starting one on loopback (it needs the stress models)',
  },
  {
    name: 'grpc-url',
    type: 'string',
    meta: 'HOST:PORT',
    help: "With -u: the server's gRPC address, for the gRPC scenarios (without it they are skipped and the report says so)",
  },
  {
    name: 'scenario',
    type: 'list',
    meta: 'NAME',
    help: 'Run only these scenarios (repeat the flag or separate names with commas; the report names them all)',
  },
  { name: 'seed', short: 'r', type: 'int', min: 0, default: 1, help: 'Random seed' },
  { name: 'report', type: 'string', meta: 'FILE', help: 'Also write the final report to FILE' },
  { name: 'help', short: 'h', type: 'bool', default: false, help: 'Show this help' },
];
