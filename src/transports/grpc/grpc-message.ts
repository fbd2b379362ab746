const encoder = new TextEncoder();

/**
 * The `grpc-message` trailer as the gRPC spec percent-encodes it: only bytes outside printable
 * ASCII, and '%', are escaped. connect-node escapes like encodeURIComponent (':' and '/' too);
 * C-core clients decode that, but grpc-js decodes with decodeURI and would show Triton's
 * messages as "Request for unknown model%3A ...".
 */
export function specGrpcMessage(encoded: string): string {
  let text: string;
  try {
    text = decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
  let out = '';
  for (const b of encoder.encode(text)) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

type Trailers = Record<string, string | string[] | undefined>;

const TOO_LARGE = /^message size (\d+) is larger than configured readMaxBytes (\d+)$/;

/** connect's refusal of a message over `readMaxBytes` in gRPC's words, naming the flag that sets the limit. */
function explain(message: string): string {
  const m = TOO_LARGE.exec(message);
  return m ? `Received message larger than max (${m[1]} vs. ${m[2]}): the server's limit is --grpc-max-input-size` : message;
}

/** Wraps a response's addTrailers so the grpc-message it sends is encoded as the spec says. */
export function specTrailers<R extends { addTrailers(headers: Trailers): void }>(res: R): R {
  const add = res.addTrailers.bind(res);
  res.addTrailers = (headers: Trailers) => {
    const message = headers['grpc-message'];
    if (typeof message !== 'string') return add(headers);
    let text: string;
    try {
      text = decodeURIComponent(message);
    } catch {
      return add(headers);
    }
    add({ ...headers, 'grpc-message': specGrpcMessage(encodeURIComponent(explain(text))) });
  };
  return res;
}
