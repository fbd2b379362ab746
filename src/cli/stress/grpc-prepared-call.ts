// One unary gRPC call whose request is already encoded, written to the socket as it is. grpc-js cannot
// do this: it frames every message into a new buffer (a copy) after the call, and its deadline, have
// started; for 1 GiB that copy takes seconds (page faults), so a 100 ms deadline passes before the first
// byte leaves. Here the bytes go out from the prepared buffer, as Triton's client sends a message it
// serialized before the call, so the deadline covers the sending alone.
import http2 from 'node:http2';
import { status } from '@grpc/grpc-js';

/** How the call ended: its gRPC status name (`OK`, `DEADLINE_EXCEEDED`, ...) and message, how long it took, and the bytes the connection sent meanwhile. */
export interface PreparedCallResult {
  code: string;
  message: string;
  ms: number;
  sent: number;
}

const name = (code: number) => status[code] ?? `status ${code}`;

function grpcMessage(h: http2.IncomingHttpHeaders): string {
  const raw = String(h['grpc-message'] ?? '');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Calls `path` (`/package.Service/Method`) at HOST:PORT with `message` (a protobuf message's bytes)
 * and a `timeoutMs` deadline, on a connection of its own that is up before the call starts. The
 * deadline goes to the server as grpc-timeout, and when it passes first the client cancels the
 * stream (RST_STREAM CANCEL) and the call ends with DEADLINE_EXCEEDED, as gRPC clients do.
 */
export async function preparedUnaryCall(address: string, path: string, message: Uint8Array, timeoutMs: number): Promise<PreparedCallResult> {
  const session = http2.connect(`http://${address}`);
  try {
    const up = await new Promise<Error | undefined>((resolve) => {
      session.once('connect', () => resolve(undefined));
      session.once('error', resolve);
    });
    session.on('error', () => {});
    if (up) return { code: 'UNAVAILABLE', message: `cannot connect to ${address}: ${(up as { code?: string }).code ?? up.message}`, ms: 0, sent: 0 };
    const started = performance.now();
    const written = session.socket.bytesWritten;
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': `${timeoutMs}m` });
    let end: { code: string; message: string } | undefined;
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) end ??= { code: name(Number(h['grpc-status'])), message: grpcMessage(h) };
    };
    req.on('response', take);
    req.on('trailers', take);
    req.on('data', () => {});
    req.on('error', () => {});
    // Node's timers count from the event loop's cached time, which may lag the clock: never end the call early.
    const expire = () => {
      const left = timeoutMs - (performance.now() - started);
      if (left > 0) deadline = setTimeout(expire, Math.ceil(left));
      else {
        end ??= { code: 'DEADLINE_EXCEEDED', message: `deadline of ${timeoutMs} ms exceeded` };
        req.close(http2.constants.NGHTTP2_CANCEL);
      }
    };
    let deadline = setTimeout(expire, timeoutMs);
    const prefix = new Uint8Array(5);
    new DataView(prefix.buffer).setUint32(1, message.byteLength);
    req.write(prefix);
    req.end(message);
    await new Promise((resolve) => req.once('close', resolve));
    clearTimeout(deadline);
    return {
      ...(end ?? { code: 'INTERNAL', message: `the stream closed without a status (RST_STREAM ${req.rstCode})` }),
      ms: performance.now() - started,
      sent: session.socket.bytesWritten - written,
    };
  } finally {
    session.destroy();
  }
}
