import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliOutput } from '../helpers/cli.ts';
import { tmpTree } from '../helpers/tmp.ts';

/**
 * A user's mistake (a file that is not there, a directory for a file, a server that is not
 * running, a malformed -u) gets one line on stderr and exit code 1 or 2: never a stack trace.
 */
const nereid = (args: string[]) => cliOutput(args, 30_000);

/** A port nothing listens on (taken, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function expectOneLine(args: string[], line: string | RegExp, code: number): Promise<void> {
  const r = await nereid(args);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toBe(line);
  else expect(lines[0]).toMatch(line);
  expect(r.code).toBe(code);
}

const dir = tmpTree({ 'models/m/config.pbtxt': 'max_batch_size: 0\n', 'not-json.json': 'INPUT0: [1, 2]', 'empty.json': '{"data": []}' });
const missing = join(dir, 'no-such-dir');
let port: number;
beforeAll(async () => {
  port = await closedPort();
});

describe('nereid perf', () => {
  it('against a server that is not running', async () => {
    await expectOneLine(
      ['perf', '-m', 'm', '-u', `localhost:${port}`],
      `nereid perf: cannot connect to localhost:${port} (ECONNREFUSED): is the server running?`,
      1,
    );
    await expectOneLine(
      ['perf', '-m', 'm', '-u', `http://127.0.0.1:${port}`],
      `nereid perf: cannot connect to 127.0.0.1:${port} (ECONNREFUSED): is the server running?`,
      1,
    );
  });

  it('a malformed -u', async () => {
    await expectOneLine(['perf', '-m', 'm', '-u', 'http://[::bad'], "nereid perf: invalid -u/--url 'http://[::bad': expected HOST:PORT or http://HOST:PORT", 2);
    await expectOneLine(
      ['perf', '-m', 'm', '-u', 'localhost:99999'],
      "nereid perf: invalid -u/--url 'localhost:99999': expected HOST:PORT or http://HOST:PORT",
      2,
    );
  });

  it('an --input-data file that is missing, a directory, not JSON or without data', async () => {
    const u = ['-u', `127.0.0.1:${port}`];
    await expectOneLine(
      ['perf', '-m', 'm', ...u, '--input-data', join(dir, 'nope.json')],
      `nereid perf: cannot read --input-data '${join(dir, 'nope.json')}': no such file or directory (ENOENT)`,
      1,
    );
    await expectOneLine(['perf', '-m', 'm', ...u, '--input-data', dir], `nereid perf: cannot read --input-data '${dir}': is a directory (EISDIR)`, 1);
    await expectOneLine(
      ['perf', '-m', 'm', ...u, '--input-data', join(dir, 'not-json.json')],
      new RegExp(`^nereid perf: --input-data '${join(dir, 'not-json.json')}' is not valid JSON \\(.+\\)$`),
      1,
    );
    await expectOneLine(
      ['perf', '-m', 'm', ...u, '--input-data', join(dir, 'empty.json')],
      `nereid perf: --input-data '${join(dir, 'empty.json')}': input data file needs a non-empty "data" array`,
      1,
    );
  });

  it('a -f report file that cannot be written is reported before measuring', async () => {
    const file = join(missing, 'out.csv');
    await expectOneLine(
      ['perf', '-m', 'm', '-u', `127.0.0.1:${port}`, '-f', file],
      `nereid perf: cannot write --latency-report-file '${file}': ${missing} is not a directory`,
      1,
    );
    await expectOneLine(
      ['perf', '-m', 'm', '-u', `127.0.0.1:${port}`, '-f', dir],
      `nereid perf: cannot write --latency-report-file '${dir}': it is a directory`,
      1,
    );
  });
});

describe('nereid repo index', () => {
  it('an --output in a directory that does not exist', async () => {
    const out = join(missing, 'repository.json');
    await expectOneLine(
      ['repo', 'index', join(dir, 'models'), '--output', out],
      `nereid repo: cannot write --output '${out}': ${missing} is not a directory`,
      1,
    );
  });

  it('a DIR that is a file', async () => {
    const file = join(dir, 'models', 'm', 'config.pbtxt');
    await expectOneLine(['repo', 'index', file], `nereid: '${file}' is not a directory`, 2);
  });
});

describe('nereid stress', () => {
  it('-u to a server that is not running, or malformed', async () => {
    await expectOneLine(
      ['stress', '-d', '1', '-u', `127.0.0.1:${port}`],
      `nereid stress: cannot connect to 127.0.0.1:${port} (ECONNREFUSED): is the server running?`,
      1,
    );
    await expectOneLine(
      ['stress', '-d', '1', '-u', 'http://[::bad'],
      "nereid stress: invalid -u/--url 'http://[::bad': expected HOST:PORT or http://HOST:PORT",
      2,
    );
  });

  it('--grpc-url without -u or malformed, an unknown --scenario, or none left to run', async () => {
    await expectOneLine(
      ['stress', '-d', '1', '--grpc-url', `127.0.0.1:${port}`],
      'nereid stress: --grpc-url needs -u/--url (without them the driver starts its own servers, gRPC included)',
      2,
    );
    await expectOneLine(
      ['stress', '-d', '1', '-u', `127.0.0.1:${port}`, '--grpc-url', 'localhost'],
      "nereid stress: invalid --grpc-url 'localhost': expected HOST:PORT",
      2,
    );
    await expectOneLine(
      ['stress', '-d', '1', '--scenario', 'grpc_sequence_valid,nope'],
      /^nereid stress: unknown --scenario 'nope' \(scenarios: sequence_valid, .*, grpc_sequence_valid, .*, grpc_huge_deadline\)$/,
      2,
    );
    await expectOneLine(
      ['stress', '-d', '1', '-u', `127.0.0.1:${port}`, '--scenario', 'poll_reload', '--scenario', 'grpc_sequence_valid'],
      "nereid stress: no scenario left to run against -u: poll_reload, grpc_sequence_valid (poll_reload and huge_tensor_deadline need the driver's own servers, gRPC scenarios --grpc-url)",
      2,
    );
  });

  it('--grpc-url where nothing serves gRPC', async () => {
    const http = createHttpServer((_req, res) => res.end());
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const { port: httpPort } = http.address() as { port: number };
      await expectOneLine(
        ['stress', '-d', '1', '-u', `127.0.0.1:${httpPort}`, '--grpc-url', `127.0.0.1:${port}`],
        `nereid stress: cannot reach gRPC at 127.0.0.1:${port} (ECONNREFUSED): is the server serving gRPC there?`,
        1,
      );
    } finally {
      http.close();
    }
  });

  it('a --report file that cannot be written is reported before the run', async () => {
    const file = join(missing, 'report.md');
    await expectOneLine(['stress', '-d', '1', '--report', file], `nereid stress: cannot write --report '${file}': ${missing} is not a directory`, 1);
  });
});

describe('nereid serve', () => {
  it('an --http-address or --metrics-address that does not resolve, before loading', async () => {
    writeFileSync(join(dir, 'models', 'm', 'config.pbtxt'), 'max_batch_size: 0\n');
    const args = ['serve', '--model-repository', join(dir, 'models'), '--http-port', '0', '--metrics-port', '0', '--grpc-port', '0'];
    await expectOneLine(
      [...args, '--http-address', 'nereid-test.invalid'],
      /^nereid: --http-address nereid-test\.invalid cannot be resolved to an address \((ENOTFOUND|EAI_AGAIN)\)$/,
      1,
    );
    await expectOneLine(
      [...args, '--http-address', '127.0.0.1', '--metrics-address', 'nereid-test.invalid'],
      /^nereid: --metrics-address nereid-test\.invalid cannot be resolved to an address \((ENOTFOUND|EAI_AGAIN)\)$/,
      1,
    );
  });
});
