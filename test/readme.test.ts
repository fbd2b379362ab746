import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { toJson } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ModelConfigSchema } from '../src/core/config/gen/model_config_pb.ts';
import { parseConfigText } from '../src/core/config/parse.ts';
import { SERVE_FLAGS } from '../src/cli/serve-flags.ts';

// The README against the code: what it presents as an example's config, the files it names, the
// example models it lists and the defaults of the serve flags.

const README = readFileSync('README.md', 'utf8');
const json = (text: string) => toJson(ModelConfigSchema, parseConfigText(text)) as Record<string, unknown>;

/** Whether every field set in `part` has the same value in `whole` (arrays element by element). */
function within(part: unknown, whole: unknown): boolean {
  if (Array.isArray(part)) return Array.isArray(whole) && part.length === whole.length && part.every((p, i) => within(p, whole[i]));
  if (part && typeof part === 'object') {
    return !!whole && typeof whole === 'object' && Object.entries(part).every(([k, v]) => within(v, (whole as Record<string, unknown>)[k]));
  }
  return part === whole;
}

describe('README.md agrees with the code', () => {
  it("a config block introduced as an example model's ('(`examples/models/m`...):') is that model's config", () => {
    const attributed = [...README.matchAll(/\(`examples\/models\/(\w+)`[^)\n]*\):\s*\n+```\n([\s\S]*?)```/g)];
    expect(attributed.length).toBeGreaterThan(0);
    for (const [, model, block] of attributed) {
      const file = readFileSync(`examples/models/${model}/config.pbtxt`, 'utf8');
      expect(within(json(block!), json(file)), `the README's config for ${model} differs from examples/models/${model}/config.pbtxt`).toBe(true);
    }
  });

  it('the files and directories it names exist', () => {
    const named = new Set<string>();
    for (const [, path] of README.matchAll(/\]\(((?!https?:|#)[^)#\s]+)/g)) named.add(path!);
    for (const [, path] of README.matchAll(
      /`((?:\.ci|bench|bin|docs|examples|scripts|src|test)\/[\w./-]*\w|\.npmrc|package\.json|package-lock\.json|deno\.json|build\.mjs)`/g,
    ))
      named.add(path!);
    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((p) => !existsSync(p))).toEqual([]);
  });

  it('the table of bundled models lists exactly examples/models', () => {
    const table = README.slice(README.indexOf('| model | what it shows |'));
    const listed = [...table.slice(0, table.indexOf('\n\n')).matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
    const dirs = readdirSync('examples/models', { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(listed.sort()).toEqual(dirs.sort());
  });

  it("every serve flag is in the Command line table, with the code's default", () => {
    for (const flag of SERVE_FLAGS.filter((f) => f.name !== 'help')) {
      const rows = README.split('\n').filter((l) => l.startsWith('| `--'));
      // Its own row, or named in another's (a deprecated alias such as --strict-model-config).
      expect(
        rows.some((l) => l.includes(`--${flag.name}`)),
        `--${flag.name}`,
      ).toBe(true);
      const row = rows.find((l) => l.startsWith(`| \`--${flag.name}`));
      if (row && (flag.type === 'int' || flag.type === 'choice' || (flag.type === 'string' && flag.default !== undefined))) {
        expect(row!.split(/(?<!\\)\|/)[2]!.trim(), `--${flag.name}`).toBe(`\`${flag.default}\``);
      }
    }
  });
});
