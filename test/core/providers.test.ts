import { describe, expect, it } from 'vitest';
import { chooseProviders, type PlatformProviders, type ProviderName, type ProviderStatus } from '../../src/core/backend/providers.ts';
import { RuntimeRegistry } from '../../src/core/backend/registry.ts';
import { parseConfigText } from '../../src/core/config/parse.ts';
import { modelProvider } from '../../src/core/backend/providers.ts';

const platform = (statuses: Partial<Record<ProviderName, ProviderStatus>>, auto: PlatformProviders['auto']): PlatformProviders => ({
  status: (p) => statuses[p] ?? { available: false, reason: `${p} is not offered here` },
  auto,
});
const node = (cuda: ProviderStatus) =>
  platform(
    { cpu: { available: true }, cuda, wasm: { available: true }, webgpu: { available: false, reason: 'Node.js has no WebGPU' } },
    { CPU: ['cpu'], GPU: ['cuda', 'cpu'] },
  );
const noCuda = { available: false, reason: 'the CUDA execution provider is not installed' };

describe('where a model runs: one table', () => {
  it.each([
    ['CPU', undefined, 'auto', node(noCuda), { providers: ['cpu'] }],
    ['GPU', undefined, 'auto', node(noCuda), { providers: ['cpu'], fallback: 'KIND_GPU requested but the CUDA execution provider is not installed' }],
    ['GPU', undefined, 'auto', node({ available: true }), { providers: ['cuda', 'cpu'] }],
    ['CPU', undefined, 'cuda', node({ available: true }), { providers: ['cuda', 'cpu'] }],
    ['CPU', undefined, 'cuda', node(noCuda), { providers: ['cpu'], fallback: 'CUDA requested but the CUDA execution provider is not installed' }],
    ['CPU', 'webgpu', 'auto', node(noCuda), { providers: ['wasm'], fallback: 'WebGPU requested but Node.js has no WebGPU' }],
    ['GPU', 'wasm', 'cuda', node({ available: true }), { providers: ['wasm'] }],
  ] as const)('%s instance, model asks %s, server %s', async (kind, model, server, p, expected) => {
    expect(await chooseProviders({ kind, model, server, platform: p })).toEqual(expected);
  });

  it('a platform without onnxruntime-node falls back to WASM and says why; a browser prefers WebGPU', async () => {
    const denoWithoutNative = platform(
      {
        cpu: { available: false, reason: 'onnxruntime-node cannot be loaded (no addon)' },
        cuda: { available: false, reason: 'onnxruntime-node cannot be loaded (no addon)' },
        wasm: { available: true },
      },
      { CPU: ['cpu', 'wasm'], GPU: ['cuda', 'cpu', 'wasm'] },
    );
    expect(await chooseProviders({ kind: 'CPU', server: 'auto', platform: denoWithoutNative })).toEqual({
      providers: ['wasm'],
      fallback: 'onnxruntime-node cannot be loaded (no addon)',
    });
    const browser = platform({ webgpu: { available: true }, wasm: { available: true } }, { CPU: ['webgpu', 'wasm'], GPU: ['webgpu', 'wasm'] });
    expect(await chooseProviders({ kind: 'CPU', server: 'auto', platform: browser })).toEqual({ providers: ['webgpu', 'wasm'] });
    expect(await chooseProviders({ kind: 'CPU', server: 'wasm', platform: browser })).toEqual({ providers: ['wasm'] });
  });

  it('nothing usable is an error naming every candidate', async () => {
    const none = platform({}, { CPU: ['cpu'], GPU: ['cuda'] });
    await expect(chooseProviders({ kind: 'CPU', server: 'auto', platform: none })).rejects.toThrow(
      'no execution provider can run this model here (CPU: cpu is not offered here; WASM: wasm is not offered here)',
    );
  });

  it("a model's own choice: parameter execution_provider or an accelerator's name", () => {
    expect(modelProvider(parseConfigText('parameters { key: "execution_provider" value { string_value: "WebGPU" } }'))).toBe('webgpu');
    expect(modelProvider(parseConfigText('parameters { key: "execution_provider" value { string_value: "auto" } }'))).toBeUndefined();
    expect(modelProvider(parseConfigText('optimization { execution_accelerators { gpu_execution_accelerator [ { name: "wasm" } ] } }'))).toBe('wasm');
    expect(() => modelProvider(parseConfigText('name: "m" parameters { key: "execution_provider" value { string_value: "tpu" } }'))).toThrow(
      "model 'm': parameter execution_provider must be one of auto, cuda, cpu, webgpu, wasm; got 'tpu'",
    );
  });
});

describe('runtime registry', () => {
  it('initialises each runtime once, concurrently too, and keeps a failure', async () => {
    let inits = 0;
    const r = new RuntimeRegistry<string>()
      .register('native', async () => `native#${++inits}`)
      .register('broken', async () => {
        throw new Error('addon missing');
      });
    expect(await Promise.all([r.get('native'), r.get('native')])).toEqual(['native#1', 'native#1']);
    await expect(r.get('broken')).rejects.toThrow('addon missing');
    await expect(r.get('broken')).rejects.toThrow('addon missing');
    await expect(r.get('web')).rejects.toThrow("runtime 'web' is not available here");
    expect(await r.ready()).toEqual(['native#1']);
  });
});
