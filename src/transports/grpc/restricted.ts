import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import type { ApiCategory, RestrictionRule } from '../http/restricted.ts';

/** Triton's category of each RPC (server src/grpc: the restricted key each handler reads). Health/Check is never restricted. */
const CATEGORY: Record<string, ApiCategory> = {
  ServerLive: 'health',
  ServerReady: 'health',
  ModelReady: 'health',
  ServerMetadata: 'metadata',
  ModelMetadata: 'metadata',
  ModelInfer: 'inference',
  ModelStreamInfer: 'inference',
  ModelConfig: 'model-config',
  ModelStatistics: 'statistics',
  RepositoryIndex: 'model-repository',
  RepositoryModelLoad: 'model-repository',
  RepositoryModelUnload: 'model-repository',
  SystemSharedMemoryStatus: 'shared-memory',
  SystemSharedMemoryRegister: 'shared-memory',
  SystemSharedMemoryUnregister: 'shared-memory',
  CudaSharedMemoryStatus: 'shared-memory',
  CudaSharedMemoryRegister: 'shared-memory',
  CudaSharedMemoryUnregister: 'shared-memory',
  TraceSetting: 'trace',
  LogSettings: 'logging',
};

/** Triton prefixes the key of --grpc-restricted-protocol with this to make the metadata header the client sends. */
export const HEADER_PREFIX = 'triton-grpc-protocol-';

/**
 * --grpc-restricted-protocol: calls in a restricted category need the metadata header
 * `triton-grpc-protocol-<key>: <value>`, else UNAVAILABLE with Triton's message.
 */
export function restrictedProtocol(rules: RestrictionRule[]): Interceptor {
  const byCategory = new Map<ApiCategory, RestrictionRule>();
  for (const r of rules) {
    for (const c of r.categories) {
      if (byCategory.has(c)) throw new Error(`--grpc-restricted-protocol: category '${c}' is restricted twice`);
      byCategory.set(c, r);
    }
  }
  return (next) => (req) => {
    const category = req.service.typeName === 'inference.GRPCInferenceService' ? CATEGORY[req.method.name] : undefined;
    const rule = category ? byCategory.get(category) : undefined;
    if (rule) {
      const header = `${HEADER_PREFIX}${rule.header}`;
      if (req.header.get(header) !== rule.value) throw new ConnectError(`This protocol is restricted, expecting header '${header}'`, Code.Unavailable);
    }
    return next(req);
  };
}
