import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { parseRestriction } from '../../src/transports/http/app.ts';
import { collect, Status } from '../helpers/grpc.ts';
import { rawGrpcCall } from '../helpers/grpc-raw.ts';
import { ADD_SUB_CONFIG, addSubRequest, type GrpcTestServer, startGrpcServer } from './server.ts';

/**
 * --grpc-restricted-protocol CATEGORY[,CATEGORY]:KEY=VALUE: calls in those categories need the
 * metadata header triton-grpc-protocol-KEY: VALUE (UNAVAILABLE with Triton's message otherwise).
 */
let t: GrpcTestServer;
beforeAll(async () => {
  t = await startGrpcServer(
    { 'add_sub/config.pbtxt': ADD_SUB_CONFIG, 'add_sub/1/model.onnx': addSubModel() },
    {},
    {
      restricted: [
        parseRestriction('inference,model-repository:admin-key=s3cret', '--grpc-restricted-protocol'),
        parseRestriction('logging:ops=1', '--grpc-restricted-protocol'),
      ],
    },
  );
});
afterAll(() => t?.stop());

const a = Float32Array.from({ length: 16 }, (_, i) => i);
const ADMIN = { 'triton-grpc-protocol-admin-key': 's3cret' };

describe('--grpc-restricted-protocol', () => {
  it('restricted categories need the header, with its value', async () => {
    const missing = await t.client.fail('ModelInfer', addSubRequest(a, a));
    expect([missing.code, missing.details]).toEqual([Status.UNAVAILABLE, "This protocol is restricted, expecting header 'triton-grpc-protocol-admin-key'"]);
    const wrong = await t.client.fail('RepositoryIndex', {}, { metadata: { 'triton-grpc-protocol-admin-key': 'guess' } });
    expect(wrong.code).toBe(Status.UNAVAILABLE);
    // Over HTTP the header is the key itself; over gRPC Triton prefixes it.
    expect((await t.client.fail('ModelInfer', addSubRequest(a, a), { metadata: { 'admin-key': 's3cret' } })).code).toBe(Status.UNAVAILABLE);
    expect((await t.client.call('ModelInfer', addSubRequest(a, a), { metadata: ADMIN })).model_name).toBe('add_sub');
    expect((await t.client.call('RepositoryIndex', {}, { metadata: ADMIN })).models).toHaveLength(1);
    const log = await t.client.fail('LogSettings', {}, { metadata: ADMIN });
    expect(log.details).toBe("This protocol is restricted, expecting header 'triton-grpc-protocol-ops'");
  });

  it('streams too; other categories and Health/Check stay open', async () => {
    const call = t.client.stream();
    const done = collect(call);
    call.write(addSubRequest(a, a));
    call.end();
    const { error } = await done;
    expect([error?.code, error?.details]).toEqual([Status.UNAVAILABLE, "This protocol is restricted, expecting header 'triton-grpc-protocol-admin-key'"]);
    const ok = t.client.stream({ metadata: ADMIN });
    const okDone = collect(ok);
    ok.write(addSubRequest(a, a, { id: 'x' }));
    ok.end();
    expect((await okDone).messages.map((m) => m.infer_response.id)).toEqual(['x']);
    expect(await t.client.call('ServerLive', {})).toEqual({ live: true });
    expect((await t.client.call('ModelMetadata', { name: 'add_sub' })).name).toBe('add_sub');
    expect(await t.client.health()).toEqual({ status: 'SERVING' });
  });

  it('a method the service does not have is UNIMPLEMENTED', async () => {
    const r = await rawGrpcCall(t.listener.url, 'NoSuchMethod', [new Uint8Array(5)]);
    expect(r.status).toBe(Status.UNIMPLEMENTED);
    // grpc-js's words (gRPC gives no text for it): the message names the path that was called.
    expect(r.message).toBe('The server does not implement the method /inference.GRPCInferenceService/NoSuchMethod');
  });
});
