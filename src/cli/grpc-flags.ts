// The serve command's gRPC flags (Triton's names) and the listener they ask for.
import type { GrpcListenOptions } from '../platform/shape.ts';
import { parseRestriction } from '../transports/http/restricted.ts';
import type { FlagSpec, ParsedArgs } from './args.ts';
import type { ListenerSpec } from './listeners.ts';

/** Triton's HTTP/2 ping-policing flags: the gRPC server (grpc-js) has no such settings, so they are accepted and have no effect. */
const IGNORED = ['grpc-http2-max-pings-without-data', 'grpc-http2-min-recv-ping-interval-without-data', 'grpc-http2-max-ping-strikes'];

export const GRPC_FLAGS: readonly FlagSpec[] = [
  { name: 'allow-grpc', type: 'bool', default: true, help: "Serve Triton's gRPC service (GRPCInferenceService, grpc.health.v1) on --grpc-port" },
  { name: 'grpc-port', type: 'int', min: 0, max: 65535, default: 8001, help: 'gRPC port (0 = any free port, printed on start)' },
  { name: 'grpc-address', type: 'string', meta: 'ADDR', default: '0.0.0.0', help: 'gRPC listen address' },
  {
    name: 'grpc-max-input-size',
    type: 'int',
    min: 1,
    max: 4294967295,
    default: 2147483647,
    help: 'Largest gRPC message a client may send, in bytes (RESOURCE_EXHAUSTED past it)',
  },
  {
    name: 'grpc-restricted-protocol',
    type: 'list',
    meta: 'CATEGORY[,CATEGORY]:KEY=VALUE',
    default: [],
    help: 'Require the metadata header triton-grpc-protocol-KEY=VALUE for these API categories (as --http-restricted-api)',
  },
  { name: 'grpc-keepalive-time', type: 'int', min: 0, default: 7200000, help: 'Milliseconds between keepalive pings on a gRPC connection (0 = none)' },
  { name: 'grpc-keepalive-timeout', type: 'int', min: 0, default: 20000, help: 'Milliseconds a keepalive ping may go unanswered before the connection closes' },
  {
    name: 'grpc-keepalive-permit-without-calls',
    type: 'bool',
    default: false,
    help: 'Accepted for Triton; no effect: the server (grpc-js) pings every connection, idle or not, as if it were set',
  },
  ...IGNORED.map(
    (name): FlagSpec => ({ name, type: 'int', min: 0, help: 'Accepted for Triton compatibility; no effect (the gRPC server, grpc-js, has no such setting)' }),
  ),
];

export interface GrpcPlan {
  spec: ListenerSpec;
  options: GrpcListenOptions;
  /** Flags given that have no effect, to warn about. */
  ignored: string[];
}

/** The gRPC listener the flags ask for: undefined with --allow-grpc=false; a string is a usage error. */
export function grpcPlan(flags: ParsedArgs): GrpcPlan | undefined | string {
  if (!flags['allow-grpc']) return undefined;
  let restricted: GrpcListenOptions['restricted'];
  try {
    restricted = (flags['grpc-restricted-protocol'] as string[]).map((r) => parseRestriction(r, '--grpc-restricted-protocol'));
  } catch (e) {
    return (e as Error).message;
  }
  const spec: ListenerSpec = {
    portFlag: '--grpc-port',
    port: flags['grpc-port'] as number,
    addressFlag: '--grpc-address',
    address: flags['grpc-address'] as string,
  };
  return {
    spec,
    options: {
      port: spec.port,
      address: spec.address,
      maxInputSize: flags['grpc-max-input-size'] as number,
      restricted,
      keepalive: {
        timeMs: flags['grpc-keepalive-time'] as number,
        timeoutMs: flags['grpc-keepalive-timeout'] as number,
        permitWithoutCalls: flags['grpc-keepalive-permit-without-calls'] as boolean,
      },
    },
    ignored: IGNORED.filter((name) => flags[name] !== undefined).map((name) => `--${name}`),
  };
}
