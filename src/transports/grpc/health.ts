import { create } from '@bufbuild/protobuf';
import { notFound } from '../../core/index.ts';
import type { GrpcContext } from './context.ts';
import { type HealthCheckRequest, type HealthCheckResponse, HealthCheckResponse_ServingStatus, HealthCheckResponseSchema } from './gen/health_pb.ts';

/** Services a health check may name: the whole server ("") or the inference service. */
const SERVICES = new Set(['', 'inference.GRPCInferenceService']);

/** grpc.health.v1.Health/Check: SERVING while the server is ready (Kubernetes' gRPC probes ask this). */
export function healthCheck(g: GrpcContext) {
  return async (req: HealthCheckRequest): Promise<HealthCheckResponse> => {
    if (!SERVICES.has(req.service)) throw notFound(`unknown service '${req.service}'`);
    const status = (await g.server.isReady()) ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.NOT_SERVING;
    return create(HealthCheckResponseSchema, { status });
  };
}
