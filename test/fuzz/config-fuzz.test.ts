import { describe, expect, it } from 'vitest';
import { completeBackendFields, normalizeConfig } from '../../src/core/config/complete.ts';
import { configToJson } from '../../src/core/config/json.ts';
import { parseConfigText } from '../../src/core/config/parse.ts';
import { validateConfig } from '../../src/core/config/validate.ts';
import { isServerError } from '../../src/core/errors.ts';
import { mulberry32 } from '../../src/tools/onnx/models.ts';
import { mutate, SEEDS } from '../helpers/config-mutate.ts';

/**
 * Seeded fuzzing of config.pbtxt handling: mutated configs either parse or fail with
 * INVALID_ARG `failed to read text proto from ...: line L, column C: ...`; configs that parse go
 * through completion, normalisation, validation and JSON printing without anything but
 * INVALID_ARG errors.
 */
describe('config.pbtxt fuzzing (seeded, bounded)', () => {
  it('mutated configs parse or fail with a positioned INVALID_ARG; parsed ones validate without crashing', () => {
    const rand = mulberry32(1122);
    let parsed = 0;
    let refused = 0;
    for (let i = 0; i < 1500; i++) {
      const text = mutate(SEEDS[i % SEEDS.length]!, rand);
      let config: ReturnType<typeof parseConfigText>;
      try {
        config = parseConfigText(text, 'fuzz/config.pbtxt');
      } catch (e) {
        expect(isServerError(e) && e.code === 'INVALID_ARG', `round ${i}: ${String(e)}\n${text}`).toBe(true);
        expect((e as Error).message).toMatch(/^failed to read text proto from fuzz\/config\.pbtxt: line \d+, column \d+: /);
        refused++;
        continue;
      }
      parsed++;
      try {
        completeBackendFields(config, config.name || 'm', ['model.onnx']);
        normalizeConfig(config, { gpuCount: 1 });
        validateConfig(config, { gpuCount: 1 });
        expect(typeof JSON.stringify(configToJson(config))).toBe('string');
      } catch (e) {
        expect(isServerError(e) && e.code === 'INVALID_ARG', `round ${i}: ${String((e as Error).stack)}\n${text}`).toBe(true);
      }
    }
    expect(parsed).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(100);
  });
});
