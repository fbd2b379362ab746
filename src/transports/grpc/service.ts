import type { Server } from '@grpc/grpc-js';
import type { AuditEntry } from '../http/context.ts';
import { grpcService, OpenCalls } from './adapter.ts';
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

/** The gRPC service of one server: its methods on a grpc-js server, and the two steps of shutdown. */
export interface GrpcService {
  /** Adds GRPCInferenceService and grpc.health.v1.Health to a grpc-js server. */
  addTo(server: Server): void;
  /** Shutdown begins: streams take no new requests and end once their requests are answered. */
  drain(): void;
  /** Cancels the calls still in progress. */
  cancelAll(): void;
}

/**
 * Triton's GRPCInferenceService (all 20 RPCs) and grpc.health.v1.Health over one server,
 * platform-neutral: a listener (listen.ts) hands it connections.
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
  const open = new OpenCalls();
  const guard = opts.restricted && opts.restricted.length > 0 ? restrictedProtocol(opts.restricted) : undefined;
  return {
    addTo(grpc) {
      const inference = grpcService(
        GRPCInferenceService,
        {
          ...metadataHandlers(g),
          ...repositoryHandlers(g),
          ...unsupportedHandlers,
          modelInfer: modelInfer(g),
          modelStreamInfer: modelStreamInfer(g),
          logSettings: logSettings(g),
        },
        open,
        guard,
      );
      grpc.addService(inference.definition, inference.implementation);
      const health = grpcService(Health, { check: healthCheck(g) }, open);
      grpc.addService(health.definition, health.implementation);
    },
    drain() {
      draining = true;
      for (const l of [...drainListeners]) l();
    },
    cancelAll: () => open.abortAll(),
  };
}
