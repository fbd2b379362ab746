// A reader for the subset of the Containerfile (Dockerfile) syntax deploy/ uses: instructions
// with line continuations, comments, ARG substitution in FROM, JSON (exec form) ENTRYPOINT/CMD.

export interface Instruction {
  op: string;
  /** The text after the instruction word, continuations joined. */
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions the tests know how to replay or check; anything else fails the parse. */
const KNOWN = new Set(['ARG', 'FROM', 'WORKDIR', 'COPY', 'RUN', 'ENV', 'USER', 'EXPOSE', 'ENTRYPOINT', 'CMD']);

export function parseContainerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text.split('\n');
  const instructions: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\')) {
      line = `${line.slice(0, -1).trimEnd()} ${lines[++i]!.trim()}`;
    }
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`line ${first}: cannot read '${line}'`);
    const op = m[1]!.toUpperCase();
    if (!KNOWN.has(op)) throw new Error(`line ${first}: instruction ${op} is not one the deploy tests replay`);
    instructions.push({ op, args: m[2]!.trim(), line: first });
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'ARG' && stages.length === 0) {
      const [k, v] = splitOnce(ins.args, '=');
      args[k] = v ?? '';
      continue;
    }
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ from: m[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? ''), name: m[2], instructions: [] });
      continue;
    }
    if (stages.length === 0) throw new Error(`line ${ins.line}: ${ins.op} before the first FROM`);
    stages.at(-1)!.instructions.push(ins);
  }
  return { args, stages };
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

/** An exec-form (JSON array) ENTRYPOINT or CMD; the shell form is refused. */
export function execForm(ins: Instruction | undefined): string[] {
  if (!ins) throw new Error('missing instruction');
  const v = JSON.parse(ins.args) as unknown;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`line ${ins.line}: ${ins.op} is not in exec form`);
  return v as string[];
}

/** ENV KEY=VALUE pairs (several per instruction; values without spaces or in double quotes). */
export function envPairs(ins: Instruction): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of ins.args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) out[m[1]!] = m[3] ?? m[2]!;
  return out;
}

/** COPY [--from=STAGE] SRC... DEST */
export function copyParts(ins: Instruction): { from?: string; sources: string[]; dest: string } {
  const words = ins.args.split(/\s+/);
  let from: string | undefined;
  if (words[0]!.startsWith('--from=')) from = words.shift()!.slice('--from='.length);
  if (words.some((w) => w.startsWith('--'))) throw new Error(`line ${ins.line}: COPY options other than --from are not replayed`);
  const dest = words.pop()!;
  return { from, sources: words, dest };
}

export const last = (stage: Stage, op: string): Instruction | undefined => stage.instructions.filter((i) => i.op === op).at(-1);
export const all = (stage: Stage, op: string): Instruction[] => stage.instructions.filter((i) => i.op === op);
