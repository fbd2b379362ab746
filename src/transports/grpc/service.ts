import type { ConnectRouter, Interceptor } from '@connectrpc/connect';
import type { AuditEntry } from '../http/context.ts';
import type { GrpcContext, GrpcServer, GrpcServiceOptions } from './context.ts';
import { GRPCInferenceService } from './gen/grpc_service_pb.ts';
import { Health } from './gen/health_pb.ts';
import { healthCheck } from './health.ts';
import { modelInfer } from './infer.ts';
import { logSettings } from './log-settings.ts';
import { metadataHandlers } from './metadata.ts';
import { repositoryHandlers } from './repository.ts';
import { restrictedProtocol } from './restricted.ts';
import { modelStreamInfer } from './stream.ts';
import { unsupportedHandlers } from './unsupported.ts';

export type { GrpcServer, GrpcServiceOptions } from './context.ts';

/** The gRPC service of one server: its routes, and `drain()` for shutdown. */
export interface GrpcService {
  routes(router: ConnectRouter): void;
  /** Interceptors every call passes (--grpc-restricted-protocol). */
  interceptors: Interceptor[];
  /** Shutdown begins: streams take no new requests and end once their requests are answered. */
  drain(): void;
}

/**
 * Triton's GRPCInferenceService (all 20 RPCs) and grpc.health.v1.Health over one
 * server, platform-neutral: a listener (node:http2 on Node and Deno) serves the routes.
 */
export function createGrpcService(server: GrpcServer, opts: GrpcServiceOptions = {}): GrpcService {
  let draining = false;
  const drainListeners = new Set<() => void>();
  const g: GrpcContext = {
    server,
    audit: opts.audit ?? ((entry: AuditEntry) => server.log.audit(entry as unknown as Record<string, unknown>)),
    get draining() {
      return draining;
    },
    onDrain(listener) {
      drainListeners.add(listener);
      return () => drainListeners.delete(listener);
    },
  };
  return {
    routes(router) {
      router.service(GRPCInferenceService, {
        ...metadataHandlers(g),
        ...repositoryHandlers(g),
        ...unsupportedHandlers,
        modelInfer: modelInfer(g),
        modelStreamInfer: modelStreamInfer(g),
        logSettings: logSettings(g),
      });
      router.service(Health, { check: healthCheck(g) });
    },
    interceptors: opts.restricted && opts.restricted.length > 0 ? [restrictedProtocol(opts.restricted)] : [],
    drain() {
      draining = true;
      for (const l of [...drainListeners]) l();
    },
  };
}
