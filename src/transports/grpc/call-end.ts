import { constants, type ServerHttp2Stream } from 'node:http2';
import { type ServerInterceptor, ServerInterceptingCall, status } from '@grpc/grpc-js';

const TOO_LARGE = /^Received message larger than max \((\d+) vs (\d+)\)$/;

/** grpc-js's refusal of a message over grpc.max_receive_message_length in gRPC core's words, naming the flag that sets the limit. */
function explain(s: { code: status; details: string }): string {
  const m = s.code === status.RESOURCE_EXHAUSTED ? TOO_LARGE.exec(s.details) : null;
  return m ? `Received message larger than max (${m[1]} vs. ${m[2]}): the server's limit is --grpc-max-input-size` : s.details;
}

/**
 * How a call ends, where grpc-js leaves it to the server: a message over the limit (refused from
 * its length prefix by grpc-js itself) is explained, and a call answered before its client finished
 * sending gets RST_STREAM(NO_ERROR) after its status, telling the client to stop, as gRPC's C-core
 * servers do. Both happen inside the innermost call, not in a handler, so this wraps that call's
 * sendStatus (grpc-js calls it through the instance) and reads its HTTP/2 stream.
 */
export const callEnd: ServerInterceptor = (_method, call) => {
  const send = call.sendStatus.bind(call);
  const stream = (call as unknown as { stream?: ServerHttp2Stream }).stream;
  call.sendStatus = (s) => {
    // With headers sent, the trailers go once the response's data is written ('wantTrailers');
    // otherwise the status goes at once, as a trailers-only response.
    const trailersLater = stream?.headersSent === true;
    send(s.code === status.RESOURCE_EXHAUSTED ? { ...s, details: explain(s) } : s);
    if (!stream || stream.readableEnded || stream.destroyed) return;
    const stop = () => setImmediate(() => stream.destroyed || stream.close(constants.NGHTTP2_NO_ERROR));
    if (trailersLater) stream.once('wantTrailers', stop);
    else stop();
  };
  return new ServerInterceptingCall(call);
};
