import type { ServerHttp2Session } from 'node:http2';

/** Triton's --grpc-keepalive-* settings that Node's HTTP/2 server can honour. */
export interface KeepaliveOptions {
  /** Milliseconds between the server's pings on a connection (--grpc-keepalive-time; 0 = never). */
  timeMs: number;
  /** Milliseconds a ping may go unanswered before the connection is closed (--grpc-keepalive-timeout). */
  timeoutMs: number;
  /** Ping connections that have no call in progress too (--grpc-keepalive-permit-without-calls). */
  permitWithoutCalls: boolean;
}

/** Triton's defaults: a ping every 2 hours, 20 s to answer, only while calls are in progress. */
export const KEEPALIVE_DEFAULTS: KeepaliveOptions = { timeMs: 7_200_000, timeoutMs: 20_000, permitWithoutCalls: false };

/**
 * Pings a connection every `timeMs` (while it has calls, unless `permitWithoutCalls`) and closes
 * it when a ping is not answered within `timeoutMs`: a client that vanished without closing its
 * connection (a dead peer, a dropped NAT entry) stops holding its calls and their memory.
 */
export function keepalive(session: ServerHttp2Session, opts: KeepaliveOptions): void {
  if (opts.timeMs <= 0) return;
  let active = 0;
  session.on('stream', (stream) => {
    active++;
    stream.once('close', () => active--);
  });
  const timer = setInterval(() => {
    if (session.destroyed || session.closed) return;
    if (active === 0 && !opts.permitWithoutCalls) return;
    const deadline = setTimeout(() => session.destroy(), opts.timeoutMs);
    deadline.unref();
    const sent = session.ping((err) => {
      clearTimeout(deadline);
      if (err && !session.destroyed) session.destroy();
    });
    if (!sent) clearTimeout(deadline);
  }, opts.timeMs);
  timer.unref();
  session.once('close', () => clearInterval(timer));
}
