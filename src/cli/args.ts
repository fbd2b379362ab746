/**
 * A small, table-driven command-line parser for Triton-style flags: `--name=value`,
 * `--name value`, booleans as `--flag`, `--flag=true|false`, repeatable list flags. Unknown flags
 * and bad values raise ArgsError, which the CLI turns into exit code 2 with a one-line message.
 */
export type FlagType = 'string' | 'int' | 'bool' | 'list' | 'choice';

export interface FlagSpec {
  name: string;
  type: FlagType;
  help: string;
  default?: string | number | boolean | string[];
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** Other spellings of the same flag (e.g. --model-store). */
  aliases?: string[];
  /** One-letter form, e.g. `m` for `-m MODEL` (perf_analyzer's flags). */
  short?: string;
  /** Shown in help as the value placeholder. */
  meta?: string;
}

export type ParsedArgs = Record<string, string | number | boolean | string[] | undefined>;

export class ArgsError extends Error {
  override name = 'ArgsError';
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): { flags: ParsedArgs; positionals: string[] } {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of [s.name, ...(s.aliases ?? [])]) byName.set(n, s);
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags: ParsedArgs = {};
  for (const s of specs) flags[s.name] = Array.isArray(s.default) ? [...s.default] : s.default;
  const seenList = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: FlagSpec | undefined;
    let value: string | undefined;
    if (!arg.startsWith('--')) {
      if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
        positionals.push(arg);
        continue;
      }
      spec = byShort.get(arg[1]!);
      if (!spec) throw new ArgsError(`unknown flag '${arg}' (see --help)`);
      if (arg.length > 2) value = arg.slice(arg[2] === '=' ? 3 : 2);
    } else {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      spec = byName.get(name);
      if (!spec) throw new ArgsError(`unknown flag '--${name}' (see --help)`);
      value = eq < 0 ? undefined : arg.slice(eq + 1);
    }
    if (spec.type === 'bool') {
      if (value === undefined && argv[i + 1] !== undefined && (TRUE.has(argv[i + 1]!.toLowerCase()) || FALSE.has(argv[i + 1]!.toLowerCase())))
        value = argv[++i];
      flags[spec.name] = parseBool(spec, value);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new ArgsError(`flag '--${spec.name}' needs a value`);
    }
    const v = convert(spec, value);
    if (spec.type === 'list') {
      if (!seenList.has(spec.name)) flags[spec.name] = [];
      seenList.add(spec.name);
      (flags[spec.name] as string[]).push(v as string);
    } else {
      flags[spec.name] = v;
    }
  }
  return { flags, positionals };
}

function parseBool(spec: FlagSpec, value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ArgsError(`invalid value '${value}' for --${spec.name}: expected true or false`);
}

function convert(spec: FlagSpec, value: string): string | number {
  switch (spec.type) {
    case 'int': {
      if (!/^-?\d+$/.test(value.trim())) throw new ArgsError(`invalid value '${value}' for --${spec.name}: expected an integer`);
      const n = Number(value);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw new ArgsError(`invalid value '${value}' for --${spec.name}: expected an integer from ${spec.min ?? '-∞'} to ${spec.max ?? '∞'}`);
      }
      return n;
    }
    case 'choice': {
      const v = value.toLowerCase();
      if (!spec.choices?.includes(v)) throw new ArgsError(`invalid value '${value}' for --${spec.name}: expected one of ${spec.choices?.join(', ')}`);
      return v;
    }
    default:
      return value;
  }
}

/** Help text: one flag per line with its default. */
export function formatHelp(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const meta = s.type === 'bool' ? '[=BOOL]' : ` ${s.meta ?? (s.type === 'int' ? 'N' : s.type === 'choice' ? s.choices!.join('|') : 'VALUE')}`;
    const names = [...(s.short ? [`-${s.short}`] : []), ...[s.name, ...(s.aliases ?? [])].map((n) => `--${n}`)].join(', ');
    const def =
      s.default === undefined || (Array.isArray(s.default) && s.default.length === 0)
        ? ''
        : ` (default: ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)})`;
    return { left: `  ${names}${meta}`, right: `${s.help}${def}${s.type === 'list' ? ' [repeatable]' : ''}` };
  });
  const width = Math.min(48, Math.max(...rows.map((r) => r.left.length)) + 2);
  return rows.map((r) => (r.left.length + 2 > width ? `${r.left}\n${' '.repeat(width)}${r.right}` : `${r.left.padEnd(width)}${r.right}`)).join('\n');
}

/** Prints a one-line usage error (`nereid: …`, or `nereid perf: …` with a command) and returns exit code 2. */
export function usageError(message: string, command?: string): number {
  console.error(`nereid${command ? ` ${command}` : ''}: ${message}`);
  return 2;
}

/** Prints a one-line error (`nereid: …`, or `nereid perf: …` with a command) and returns exit code 1. */
export function commandError(message: string, command?: string): number {
  console.error(`nereid${command ? ` ${command}` : ''}: ${message}`);
  return 1;
}

/**
 * Parses a command's flags (it takes no positional arguments). Returns the flags, or the exit
 * code once `--help` was printed (0) or a usage error was reported (2).
 */
export function parseCommand(argv: readonly string[], specs: readonly FlagSpec[], usage: string, command?: string): ParsedArgs | number {
  try {
    const parsed = parseArgs(argv, specs);
    if (parsed.positionals.length > 0) throw new ArgsError(`unexpected argument '${parsed.positionals[0]}'`);
    if (parsed.flags.help) {
      console.log(`${usage}\n\n${formatHelp(specs)}`);
      return 0;
    }
    return parsed.flags;
  } catch (e) {
    if ((e as Error).name === 'ArgsError') return usageError((e as Error).message, command);
    throw e;
  }
}
