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
