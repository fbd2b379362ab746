import http2 from 'node:http2';
import { createServer } from 'node:net';
import { create, toBinary } from '@bufbuild/protobuf';
import { afterEach, describe, expect, it } from 'vitest';
import { preparedUnaryCall } from '../../src/cli/stress/grpc-prepared-call.ts';
import { zeroTensorRequest } from '../../src/cli/stress/grpc-tensors.ts';
import { ModelInferRequestSchema } from '../../src/transports/grpc/gen/grpc_service_pb.ts';

/**
 * The 1 GB deadline scenario's call: a request encoded before the call, sent as it is, so the
 * server receives data before a short deadline (grpc-js, and connect before it, copied or encoded
 * the gigabyte after the deadline had started, and the server saw at most one 64 KiB window).
 * Checked against plain HTTP/2 servers that count what arrives or answer a status.
 */

const servers: http2.Http2Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function serve(onStream: (s: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void): Promise<string> {
  const srv = http2.createServer();
  srv.on('stream', onStream);
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(srv.address() as { port: number }).port}`;
}

describe('zeroTensorRequest', () => {
  it('is the protobuf encoding of the same request with its tensor of zeros', () => {
    for (const bytes of [0, 4, 200, 70_000]) {
      const expected = toBinary(
        ModelInferRequestSchema,
        create(ModelInferRequestSchema, {
          modelName: 'identity',
          inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [BigInt(bytes / 4)] }],
          rawInputContents: [new Uint8Array(bytes)],
        }),
      );
      expect(zeroTensorRequest('identity', 'INPUT0', bytes)).toEqual(expected);
    }
  });
});

describe('preparedUnaryCall', () => {
  it('a huge request: data reaches the server before the deadline, then the client cancels with DEADLINE_EXCEEDED', async () => {
    let received = 0;
    let headers: http2.IncomingHttpHeaders = {};
    let closed!: (rstCode: number) => void;
    const rst = new Promise<number>((resolve) => (closed = resolve));
    const address = await serve((s, h) => {
      headers = h;
      s.on('data', (d: Buffer) => (received += d.length));
      s.on('close', () => closed(s.rstCode));
    });
    const result = await preparedUnaryCall(address, '/inference.GRPCInferenceService/ModelInfer', zeroTensorRequest('identity', 'INPUT0', 512 * 2 ** 20), 100);
    expect(await rst).toBe(http2.constants.NGHTTP2_CANCEL);
    expect(result.code).toBe('DEADLINE_EXCEEDED');
    expect(result.ms).toBeGreaterThanOrEqual(100);
    expect(headers[':path']).toBe('/inference.GRPCInferenceService/ModelInfer');
    expect(headers['content-type']).toBe('application/grpc');
    expect(headers['grpc-timeout']).toBe('100m');
    // Far more than one 64 KiB flow-control window, and no more than the connection sent.
    expect(received).toBeGreaterThan(2 ** 20);
    expect(result.sent).toBeGreaterThanOrEqual(received);
    expect(result.sent).toBeLessThan(512 * 2 ** 20);
  });

  it("the server's status ends the call: the gRPC message prefix and bytes arrive whole, the status is named", async () => {
    const body = zeroTensorRequest('identity', 'INPUT0', 4000);
    let got = Buffer.alloc(0);
    const address = await serve((s) => {
      s.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
      s.on('end', () => {
        s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        s.on('wantTrailers', () =>
          s.sendTrailers({ 'grpc-status': '8', 'grpc-message': encodeURIComponent('too big: 4 MiB > 1 MiB (--grpc-max-input-size)') }),
        );
        s.end();
      });
    });
    const r = await preparedUnaryCall(address, '/inference.GRPCInferenceService/ModelInfer', body, 10_000);
    expect([r.code, r.message]).toEqual(['RESOURCE_EXHAUSTED', 'too big: 4 MiB > 1 MiB (--grpc-max-input-size)']);
    expect(got.readUInt8(0)).toBe(0);
    expect(got.readUInt32BE(1)).toBe(body.byteLength);
    expect(new Uint8Array(got.subarray(5))).toEqual(body);
  });

  it('a port where nothing listens is UNAVAILABLE with the socket error', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await preparedUnaryCall(`127.0.0.1:${port}`, '/inference.GRPCInferenceService/ModelInfer', new Uint8Array(8), 100);
    expect(r.code).toBe('UNAVAILABLE');
    expect(r.message).toBe(`cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
  });
});
