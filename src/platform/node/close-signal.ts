import type { ServerResponse } from 'node:http';
import type { CancelSignal } from '../../core/index.ts';

/**
 * A request's cancellation from its Node response: aborted once the connection closed before the
 * response was finished. Much cheaper than the AbortSignal the fetch adapter would build (an
 * AbortController plus listeners on both streams for every request that waits in a queue).
 */
export function responseCloseSignal(res: ServerResponse): CancelSignal {
  return {
    get aborted() {
      if (res.writableFinished) return false;
      return res.destroyed || !res.socket || res.socket.destroyed;
    },
    addEventListener(_type, listener) {
      res.once('close', () => {
        if (!res.writableFinished) listener();
      });
    },
  };
}
