import { type Client, createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { GRPCInferenceService } from '../transports/grpc/gen/grpc_service_pb.ts';

export type InferenceClient = Client<typeof GRPCInferenceService>;

/** Messages up to 2 GiB - 1 each way (Triton's stress scenario sends a 1 GB tensor). */
const MAX_MESSAGE = 2 ** 31 - 1;

/**
 * A client of Triton's GRPCInferenceService at HOST:PORT over plain HTTP/2, for the command-line
 * load tools (`nereid perf -i grpc`, `nereid stress`): one HTTP/2 connection, every call and
 * stream multiplexed on it. `close()` ends the connection and its open calls.
 */
export function grpcInferenceClient(address: string): { client: InferenceClient; close(): void } {
  const baseUrl = `http://${address}`;
  const sessionManager = new Http2SessionManager(baseUrl);
  const transport = createGrpcTransport({ baseUrl, sessionManager, readMaxBytes: MAX_MESSAGE, writeMaxBytes: MAX_MESSAGE });
  return { client: createClient(GRPCInferenceService, transport), close: () => sessionManager.abort() };
}
