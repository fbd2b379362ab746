import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { equals } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { completeBackendFields, normalizeConfig } from '../../src/core/config/complete.ts';
import { ModelConfigSchema } from '../../src/core/config/gen/model_config_pb.ts';
import { parseConfigText } from '../../src/core/config/parse.ts';
import { configToText } from '../../src/core/config/text.ts';
import { mulberry32 } from '../../src/tools/onnx/models.ts';
import { mutate, SEEDS } from '../helpers/config-mutate.ts';

/**
 * configToText writes config.pbtxt that the server's parser reads back to the same message: every
 * example model's config (as written and once completed), and every fuzzed config that parses.
 */
const EXAMPLES = 'examples/models';
const exampleConfigs = readdirSync(EXAMPLES)
  .filter((m) => existsSync(join(EXAMPLES, m, 'config.pbtxt')))
  .map((m) => ({ name: m, text: readFileSync(join(EXAMPLES, m, 'config.pbtxt'), 'utf8') }));

const roundTrip = (config: ReturnType<typeof parseConfigText>) => parseConfigText(configToText(config), 'written/config.pbtxt');

describe('configToText', () => {
  it('round-trips every example config, as written and completed', () => {
    expect(exampleConfigs.length).toBeGreaterThanOrEqual(6);
    for (const { name, text } of exampleConfigs) {
      const config = parseConfigText(text);
      expect(equals(ModelConfigSchema, roundTrip(config), config), name).toBe(true);
      completeBackendFields(config, name, ['model.onnx']);
      normalizeConfig(config, { gpuCount: 0 });
      const back = roundTrip(config);
      expect(equals(ModelConfigSchema, back, config), `${name} completed`).toBe(true);
      expect(back.instanceGroup.length, name).toBe(config.platform === 'ensemble' ? 0 : 1);
    }
  });

  it('writes fields in the .proto declaration order, with header lines as comments', () => {
    const config = parseConfigText(`output [ { name: "O" data_type: TYPE_FP32 dims: [ 2 ] } ]
input [ { name: "I" data_type: TYPE_FP32 dims: [ 2 ] } ]
max_batch_size: 4
name: "m"`);
    const text = configToText(config, ['first line', 'second\nthird']);
    expect(text.split('\n').slice(0, 3)).toEqual(['# first line', '# second', '# third']);
    const keys = text
      .split('\n')
      .filter((l) => /^[a-z_]+:/.test(l))
      .map((l) => l.slice(0, l.indexOf(':')));
    expect(keys).toEqual(['name', 'max_batch_size', 'input', 'output']);
    expect(equals(ModelConfigSchema, parseConfigText(text), config)).toBe(true);
  });

  it('round-trips fuzzed configs (the parser fuzz generator, seeded)', () => {
    const rand = mulberry32(4242);
    let checked = 0;
    for (let i = 0; i < 1500 + SEEDS.length; i++) {
      const text = i < SEEDS.length ? SEEDS[i]! : mutate(SEEDS[i % SEEDS.length]!, rand);
      let config: ReturnType<typeof parseConfigText>;
      try {
        config = parseConfigText(text);
      } catch {
        continue;
      }
      const written = configToText(config);
      const back = parseConfigText(written, 'written/config.pbtxt');
      expect(equals(ModelConfigSchema, back, config), `round ${i}:\n${text}\n---\n${written}`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(20 + SEEDS.length);
  });
});
