import { callStatus, grpcInferenceClient, unreachableReason } from '../grpc-client.ts';

/** HOST:PORT from `--grpc-url` (HOST:PORT, or http://HOST:PORT), or undefined when the text is neither. */
export function grpcAddress(text: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  if (!/^http:\/\/[^/?#]+:\d+\/?$/i.test(withScheme)) return undefined;
  try {
    const u = new URL(withScheme);
    return u.hostname === '' ? undefined : `${u.hostname}:${/:(\d+)\/?$/.exec(withScheme)![1]}`;
  } catch {
    return undefined;
  }
}

/** Why the server at `address` does not answer gRPC ServerLive (one line), or undefined when it does. */
export async function grpcUnreachable(address: string): Promise<string | undefined> {
  const { client, close } = grpcInferenceClient(address);
  try {
    await client.serverLive({}, { timeoutMs: 10_000 });
    return undefined;
  } catch (e) {
    const s = callStatus(e);
    return `cannot reach gRPC at ${address} (${unreachableReason(e) ?? `${s.name}: ${s.details}`}): is the server serving gRPC there?`;
  } finally {
    close();
  }
}
