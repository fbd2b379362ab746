import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { addSubModel } from '../../src/tools/onnx/models.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { grpcClient } from '../helpers/grpc.ts';
import { tmpTree } from '../helpers/tmp.ts';
import { ADD_SUB_CONFIG } from './server.ts';

/** The serve command's gRPC flags (Triton's names). */
const repo = tmpTree({ 'add_sub/config.pbtxt': ADD_SUB_CONFIG, 'add_sub/1/model.onnx': addSubModel() });

describe('nereid serve: gRPC flags', () => {
  it('prints `GRPC server listening on ADDRESS:PORT` and serves there', async () => {
    const srv = await startCli(['--model-repository', repo]);
    try {
      expect(srv.output()).toMatch(/GRPC server listening on 127\.0\.0\.1:\d+\n/);
      const c = grpcClient(srv.grpc!);
      expect(await c.call('ServerReady', {})).toEqual({ ready: true });
      c.close();
    } finally {
      await srv.stop();
    }
  });

  it('--allow-grpc=false: no gRPC listener; ignored keepalive flags are accepted with a warning', async () => {
    const srv = await startCli(['--model-repository', repo, '--allow-grpc=false']);
    try {
      expect(srv.output()).not.toMatch(/GRPC server listening/);
      expect(srv.grpc).toBeUndefined();
    } finally {
      await srv.stop();
    }
    const warned = await startCli(['--model-repository', repo, '--grpc-http2-max-ping-strikes', '0', '--grpc-keepalive-time', '1000']);
    try {
      expect(warned.output()).toMatch(/W \S+ --grpc-http2-max-ping-strikes has no effect: the gRPC server \(grpc-js\) has no such setting/);
    } finally {
      await warned.stop();
    }
  });

  it('a bad --grpc-restricted-protocol or --grpc-port is one line and exit code 2', () => {
    const bad = runCli(['serve', '--model-repository', repo, '--grpc-restricted-protocol', 'inference']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("nereid: invalid --grpc-restricted-protocol 'inference': expected CATEGORY[,CATEGORY]:KEY=VALUE");
    const cat = runCli(['serve', '--model-repository', repo, '--grpc-restricted-protocol', 'everything:k=v']);
    expect(cat.stderr.trim()).toMatch(/^nereid: invalid --grpc-restricted-protocol 'everything:k=v': unknown category 'everything'/);
    const port = runCli(['serve', '--model-repository', repo, '--grpc-port', '70000']);
    expect([port.code, port.stderr.trim()]).toEqual([2, "nereid: invalid value '70000' for --grpc-port: expected an integer from 0 to 65535"]);
  });

  it('--help lists the gRPC flags with their defaults', () => {
    const help = runCli(['serve', '--help']).stdout;
    expect(help).toMatch(/--grpc-port N\s+gRPC port .*\(default: 8001\)/);
    expect(help).toMatch(/--grpc-max-input-size N\s+.*\(default: 2147483647\)/);
    expect(help).toMatch(/--allow-grpc\[=BOOL\]\s+.*\(default: true\)/);
    // grpc-js's server pings idle connections too: the flag changes nothing, and --help says so.
    expect(help).toMatch(/--grpc-keepalive-permit-without-calls\[=BOOL\]\s+Accepted for Triton; no effect: .*pings every connection, idle or not/);
  });

  it('a keepalive ping that goes unanswered closes the connection (--grpc-keepalive-time/-timeout)', async () => {
    // A raw TCP client that completes nothing: it never answers the server's ping.
    const srv = await startCli([
      '--model-repository',
      repo,
      '--grpc-keepalive-time',
      '200',
      '--grpc-keepalive-timeout',
      '300',
      '--grpc-keepalive-permit-without-calls',
    ]);
    try {
      const [host, port] = srv.grpc!.split(':');
      const socket = connect(Number(port), host!);
      // The HTTP/2 client preface and an empty SETTINGS frame, then silence.
      socket.on('connect', () => socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])])));
      socket.on('data', () => {});
      const closed = await Promise.race([new Promise((r) => socket.once('close', () => r(true))), new Promise((r) => setTimeout(() => r(false), 5000))]);
      socket.destroy();
      expect(closed).toBe(true);
    } finally {
      await srv.stop();
    }
  });
});
