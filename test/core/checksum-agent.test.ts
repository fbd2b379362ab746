import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/core/config/parse.ts';
import { isServerError } from '../../src/core/errors.ts';
import {
  checksumEntries,
  checksumParameters,
  setChecksumAgent,
  verifyVersionChecksums,
  withoutChecksumAgent,
} from '../../src/core/repository/checksum-agent.ts';
import { hexDigest } from '../../src/core/repository/digest.ts';
import { memory } from '../../src/platform/drivers/memory.ts';

/**
 * Triton's checksum repository agent: `ALGORITHM:path` keys relative to the model directory, hex
 * digests as values. Digests here are computed independently with node:crypto.
 */
const md5 = (d: Uint8Array | string) => createHash('md5').update(d).digest('hex');
const sha256 = (d: Uint8Array | string) => createHash('sha256').update(d).digest('hex');

const agentConfig = (params: Record<string, string>, name = 'checksum') =>
  parseConfigText(
    `name: "m"\nmodel_repository_agents { agents [ { name: "${name}" ${Object.entries(params)
      .map(([k, v]) => `parameters { key: "${k}" value: "${v}" }`)
      .join(' ')} } ] }`,
  );

const failure = async (p: Promise<unknown>): Promise<{ code: string; message: string }> => {
  try {
    await p;
  } catch (e) {
    expect(isServerError(e)).toBe(true);
    return e as { code: string; message: string };
  }
  throw new Error('expected a failure');
};

describe('digests', () => {
  it('MD5 and SHA-256 agree with node:crypto on empty, small and multi-megabyte inputs', async () => {
    const big = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => (i * 31) & 0xff);
    for (const data of [new Uint8Array(0), new TextEncoder().encode('abc'), big]) {
      expect(await hexDigest('MD5', data)).toBe(md5(data));
      expect(await hexDigest('SHA256', data)).toBe(sha256(data));
    }
  });
});

describe('checksum agent entries', () => {
  it('reads MD5 and SHA256 keys (any case), relative to the model directory, with the version they belong to', () => {
    const entries = checksumEntries(
      agentConfig({ 'MD5:1/model.onnx': 'A'.repeat(32), 'sha256:labels.txt': 'b'.repeat(64), 'SHA-256:./2/sub/w.bin': 'c'.repeat(64) }),
    );
    expect(entries.map(({ algorithm, path, expected, version }) => ({ algorithm, path, expected, version }))).toEqual([
      { algorithm: 'MD5', path: '1/model.onnx', expected: 'a'.repeat(32), version: 1 },
      { algorithm: 'SHA256', path: 'labels.txt', expected: 'b'.repeat(64), version: undefined },
      { algorithm: 'SHA256', path: '2/sub/w.bin', expected: 'c'.repeat(64), version: 2 },
    ]);
  });

  it.each([
    ['MD5:../other/1/model.onnx', /names a file outside the model directory/],
    ['MD5:1/../../x', /names a file outside the model directory/],
    ['MD5:/etc/passwd', /names a file outside the model directory/],
    ['MD5:C:/x', /names a file outside the model directory/],
    ['MD5:1\\\\model.onnx', /names a file outside the model directory/],
    ['MD5:', /names no file/],
    ['model.onnx', /^failed to parse key: model.onnx/],
  ])('refuses key %s', (key, message) => {
    let err: unknown;
    try {
      checksumEntries(agentConfig({ [key]: 'a'.repeat(32) }));
    } catch (e) {
      err = e;
    }
    expect(isServerError(err) && err.code).toBe('INVALID_ARG');
    expect((err as Error).message).toMatch(message);
  });

  it('refuses an unknown algorithm (UNSUPPORTED, Triton), a value that is no digest, and an agent other than checksum', () => {
    const attempt = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as { code: string; message: string };
      }
      throw new Error('expected a failure');
    };
    const algo = attempt(() => checksumEntries(agentConfig({ 'SHA1:1/model.onnx': 'a'.repeat(40) })));
    expect(algo.code).toBe('UNSUPPORTED');
    expect(algo.message).toMatch(/^Unsupported checksum algorithm: SHA1 /);
    const value = attempt(() => checksumEntries(agentConfig({ 'MD5:1/model.onnx': 'xyz' })));
    expect(value.message).toBe(`checksum value for key 'MD5:1/model.onnx' of model 'm' is not a MD5 digest (32 hex digits): 'xyz'`);
    const agent = attempt(() => checksumEntries(agentConfig({}, 'encryption')));
    expect(agent.code).toBe('INVALID_ARG');
    expect(agent.message).toBe(`unknown model repository agent 'encryption' for model 'm': Nereid implements only the 'checksum' agent`);
  });
});

describe('verifying a version', () => {
  const v1 = new TextEncoder().encode('version one');
  const v2 = new TextEncoder().encode('version two');
  const labels = 'cat\ndog\n';
  const driver = memory({ files: { 'm/1/model.onnx': v1, 'm/2/model.onnx': v2, 'm/labels.txt': labels } });

  it('passes when the version files and the model-level files match, ignoring other versions', async () => {
    const config = agentConfig({ 'MD5:1/model.onnx': md5(v1), 'SHA256:labels.txt': sha256(labels), 'MD5:2/model.onnx': '0'.repeat(32) });
    await verifyVersionChecksums(config, driver, 'm', 1);
    const err = await failure(verifyVersionChecksums(config, driver, 'm', 2));
    expect(err.code).toBe('INVALID_ARG');
    expect(err.message).toBe(`Mismatched MD5 hash for file 2/model.onnx, expect: ${'0'.repeat(32)}, got: ${md5(v2)}`);
  });

  it('fails on a model-level file that changed, and on a missing file, naming the file and the expected digest', async () => {
    const changed = agentConfig({ 'SHA256:labels.txt': sha256('cat\n') });
    expect((await failure(verifyVersionChecksums(changed, driver, 'm', 1))).message).toBe(
      `Mismatched SHA256 hash for file labels.txt, expect: ${sha256('cat\n')}, got: ${sha256(labels)}`,
    );
    const missing = agentConfig({ 'MD5:1/weights.bin': md5('w') });
    expect((await failure(verifyVersionChecksums(missing, driver, 'm', 1))).message).toBe(`Missing file 1/weights.bin for MD5 checksum, expect: ${md5('w')}`);
  });
});

describe('generating entries', () => {
  it('lists every file of the given version directories with its digest, and replaces only the checksum agent', async () => {
    const files = { 'm/1/model.onnx': 'one', 'm/1/sub/data.bin': 'data', 'm/2/model.onnx': 'two', 'm/3/model.onnx': 'three', 'm/labels.txt': 'x' };
    const driver = memory({ files: { ...files, 'm/1/.DS_Store': 'junk' } });
    const params = await checksumParameters(driver, 'm', [1, 2], 'MD5');
    expect(params).toEqual({ 'MD5:1/model.onnx': md5('one'), 'MD5:1/sub/data.bin': md5('data'), 'MD5:2/model.onnx': md5('two') });
    const config = parseConfigText(
      'name: "m" model_repository_agents { agents [ { name: "other" }, { name: "checksum" parameters { key: "MD5:old" value: "x" } } ] }',
    );
    setChecksumAgent(config, params);
    expect(config.modelRepositoryAgents!.agents.map((a) => [a.name, a.parameters])).toEqual([
      ['other', {}],
      ['checksum', params],
    ]);
    withoutChecksumAgent(config);
    expect(config.modelRepositoryAgents!.agents.map((a) => a.name)).toEqual(['other']);
  });
});
