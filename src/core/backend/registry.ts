import { invalidArg } from '../errors.ts';
import type { ExecutionBackend } from './backend.ts';

/** Execution backends by config `backend` name; platforms register what their runtime provides. */
export class BackendRegistry {
  private readonly backends = new Map<string, ExecutionBackend>();

  register(backend: ExecutionBackend): this {
    this.backends.set(backend.name, backend);
    return this;
  }

  get(name: string, model: string): ExecutionBackend {
    const b = this.backends.get(name);
    if (!b) {
      const known = [...this.backends.keys()].join(', ') || 'none';
      throw invalidArg(`unable to find backend '${name}' for model '${model}' (backends available here: ${known})`);
    }
    return b;
  }

  names(): string[] {
    return [...this.backends.keys()];
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.backends.values()].map((b) => b.dispose?.()));
  }
}

/**
 * Lazily initialised runtimes (onnxruntime's backend registry pattern): each registered with an
 * `init` that runs once, on first use, even when callers ask concurrently; a failure is kept
 * with its reason and never retried, so every caller sees the same answer.
 */
export class RuntimeRegistry<T> {
  private readonly inits = new Map<string, () => Promise<T>>();
  private readonly started = new Map<string, Promise<T>>();

  register(name: string, init: () => Promise<T>): this {
    this.inits.set(name, init);
    return this;
  }

  has(name: string): boolean {
    return this.inits.has(name);
  }

  /** The runtime, initialised once; rejects with why it cannot be used here. */
  get(name: string): Promise<T> {
    let p = this.started.get(name);
    if (!p) {
      const init = this.inits.get(name);
      p = init ? init() : Promise.reject(invalidArg(`runtime '${name}' is not available here`));
      p.catch(() => undefined);
      this.started.set(name, p);
    }
    return p;
  }

  /** The runtimes that were initialised successfully. */
  async ready(): Promise<T[]> {
    const settled = await Promise.allSettled(this.started.values());
    return settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }
}
