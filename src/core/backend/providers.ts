import { parameter } from '../config/accessors.ts';
import type { ModelConfig } from '../config/gen/model_config_pb.ts';
import { invalidArg } from '../errors.ts';
import type { DeviceKind } from './backend.ts';

/** Which onnxruntime package runs a provider: onnxruntime-node (native) or onnxruntime-web. */
export type OrtRuntimeName = 'native' | 'web';

export type ProviderName = 'cuda' | 'cpu' | 'webgpu' | 'wasm';

interface ProviderRow {
  runtime: OrtRuntimeName;
  device: 'cpu' | 'gpu';
  /** How logs and fallback reasons name it. */
  label: string;
  /** Where an instance goes when this provider cannot be used, in order. */
  fallback: readonly ProviderName[];
}

/**
 * Where a model can run: one row per execution provider. Adding one (DirectML, CoreML, WebNN) is
 * one row here, its entry in the platforms' `auto` lists and its options in the runtime adapter.
 */
export const EXECUTION_PROVIDERS: Readonly<Record<ProviderName, ProviderRow>> = {
  cuda: { runtime: 'native', device: 'gpu', label: 'CUDA', fallback: ['cpu', 'wasm'] },
  cpu: { runtime: 'native', device: 'cpu', label: 'CPU', fallback: ['wasm'] },
  webgpu: { runtime: 'web', device: 'gpu', label: 'WebGPU', fallback: ['wasm'] },
  wasm: { runtime: 'web', device: 'cpu', label: 'WASM', fallback: [] },
};
/** `--execution-provider`: a provider, or `auto` (the platform's choice for the instance kind). */
export type ProviderPreference = 'auto' | ProviderName;

export const PROVIDER_NAMES: readonly ProviderName[] = Object.keys(EXECUTION_PROVIDERS) as ProviderName[];

export const isProviderName = (s: string): s is ProviderName => Object.hasOwn(EXECUTION_PROVIDERS, s);

export interface ProviderStatus {
  available: boolean;
  /** Why not, when it is not. */
  reason?: string;
}

/** What a platform offers, given to the core by its composition root. */
export interface PlatformProviders {
  /** Whether a provider can be used here (probed once by the platform; called only for candidates). */
  status(provider: ProviderName): ProviderStatus | Promise<ProviderStatus>;
  /** `auto`: the providers to try for each instance kind, best first. */
  auto: { CPU: readonly ProviderName[]; GPU: readonly ProviderName[] };
}

export interface ProviderChoice {
  /** The providers to try, best first (all usable here, ending at the first CPU-class one); the first one that creates a session wins. */
  providers: ProviderName[];
  /** Why the instance does not run on what was asked for (one aggregated reason), when it does not. */
  fallback?: string;
}

/**
 * A model's own choice: the config parameter `execution_provider`, or an execution accelerator
 * named after a provider (`gpu_execution_accelerator { name: "webgpu" }`).
 */
export function modelProvider(config: ModelConfig): ProviderName | undefined {
  const p = parameter(config, 'execution_provider')?.trim().toLowerCase();
  if (p) {
    if (p === 'auto') return undefined;
    if (!isProviderName(p))
      throw invalidArg(`model '${config.name}': parameter execution_provider must be one of auto, ${PROVIDER_NAMES.join(', ')}; got '${p}'`);
    return p;
  }
  const acc = config.optimization?.executionAccelerators;
  const names = [...(acc?.gpuExecutionAccelerator ?? []), ...(acc?.cpuExecutionAccelerator ?? [])].map((a) => a.name.toLowerCase());
  return names.find((n): n is ProviderName => n === 'webgpu' || n === 'wasm');
}

/**
 * The table at work: the providers an instance tries, from the model's choice, else the server's
 * (--execution-provider), else the platform's `auto` list for its kind; each followed by its
 * fallbacks; filtered by what the platform offers. Providers skipped before the first usable one
 * give the fallback reason ("KIND_GPU requested but ...", "WebGPU requested but ...").
 */
export async function chooseProviders(input: {
  kind: DeviceKind;
  model?: ProviderName;
  server: ProviderPreference;
  platform: PlatformProviders;
}): Promise<ProviderChoice> {
  const explicit = input.model ?? (input.server === 'auto' ? undefined : input.server);
  const gpu = input.kind === 'GPU';
  const wanted: readonly ProviderName[] = explicit ? [explicit] : input.platform.auto[gpu ? 'GPU' : 'CPU'];
  const candidates: ProviderName[] = [];
  for (const p of wanted) for (const q of [p, ...EXECUTION_PROVIDERS[p].fallback]) if (!candidates.includes(q)) candidates.push(q);
  const statuses = await Promise.all(candidates.map((p) => input.platform.status(p)));
  const usable = candidates.filter((_, i) => statuses[i]!.available);
  // A CPU-class provider is the last resort: nothing after it is tried.
  const lastResort = usable.findIndex((p) => EXECUTION_PROVIDERS[p].device === 'cpu');
  const providers = lastResort < 0 ? usable : usable.slice(0, lastResort + 1);
  if (providers.length === 0) {
    const why = candidates.map((p, i) => `${EXECUTION_PROVIDERS[p].label}: ${statuses[i]!.reason ?? 'not available here'}`).join('; ');
    throw invalidArg(`no execution provider can run this model here (${why})`);
  }
  const skipped: string[] = [];
  for (let i = 0; i < candidates.length && candidates[i] !== providers[0]; i++)
    skipped.push(statuses[i]!.reason ?? `${EXECUTION_PROVIDERS[candidates[i]!].label} is not available here`);
  if (skipped.length === 0) return { providers };
  const asked = explicit ? EXECUTION_PROVIDERS[explicit].label : gpu ? 'KIND_GPU' : undefined;
  const first = candidates[0]!;
  const askedFirst = asked !== undefined && (explicit === first || (gpu && EXECUTION_PROVIDERS[first].device === 'gpu'));
  if (askedFirst) skipped[0] = `${asked} requested but ${skipped[0]}`;
  return { providers, fallback: skipped.join('; ') };
}
