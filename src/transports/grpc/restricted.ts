import { unavailable } from '../../core/index.ts';
import type { ApiCategory, RestrictionRule } from '../http/restricted.ts';
import type { Guard } from './adapter.ts';

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
 * --grpc-restricted-protocol: calls of GRPCInferenceService in a restricted category need the
 * metadata header `triton-grpc-protocol-<key>: <value>`, else UNAVAILABLE with Triton's message.
 * The rule of each method is found once, when the service is built.
 */
export function restrictedProtocol(rules: RestrictionRule[]): Guard {
  const byCategory = new Map<ApiCategory, RestrictionRule>();
  for (const r of rules) {
    for (const c of r.categories) {
      if (byCategory.has(c)) throw new Error(`--grpc-restricted-protocol: category '${c}' is restricted twice`);
      byCategory.set(c, r);
    }
  }
  return (method) => {
    const category = CATEGORY[method];
    const rule = category ? byCategory.get(category) : undefined;
    if (!rule) return undefined;
    const header = `${HEADER_PREFIX}${rule.header}`;
    return (ctx) => {
      if (ctx.header(header) !== rule.value) throw unavailable(`This protocol is restricted, expecting header '${header}'`);
    };
  };
}
