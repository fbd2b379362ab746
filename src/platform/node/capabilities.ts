import { availableParallelism } from 'node:os';
import type { Logger, PlatformProviders, ProviderName, ProviderStatus } from '../../core/index.ts';
import { type CudaStatus, detectCuda } from '../ort/node/backend.ts';

/** What this Node process offers, probed once at composition and frozen (kept apart from user options). */
export interface NodeCapabilities {
  cpuCount: number;
  cuda: Readonly<CudaStatus>;
}

export async function probeCapabilities(opts: { cpuCount?: number; cuda?: CudaStatus; log?: Logger } = {}): Promise<Readonly<NodeCapabilities>> {
  return Object.freeze({ cpuCount: opts.cpuCount ?? availableParallelism(), cuda: Object.freeze(opts.cuda ?? (await detectCuda(opts.log))) });
}

/** Node's providers: onnxruntime-node's CPU and CUDA, onnxruntime-web's WASM; `auto` keeps to the instance kind. */
export function nodeProviders(caps: NodeCapabilities): PlatformProviders {
  const status: Record<ProviderName, ProviderStatus> = {
    cpu: { available: true },
    cuda: caps.cuda.available ? { available: true } : { available: false, reason: caps.cuda.reason ?? 'CUDA is not available' },
    wasm: { available: true },
    webgpu: { available: false, reason: 'Node.js has no WebGPU' },
  };
  return { status: (p) => status[p], auto: { CPU: ['cpu'], GPU: ['cuda', 'cpu'] } };
}
