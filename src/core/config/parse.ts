import { fromText } from '@bufbuild/protobuf/txtpb';
import { invalidArg } from '../errors.ts';
import { type ModelConfig, ModelConfigSchema } from './gen/model_config_pb.ts';

/**
 * Parses config.pbtxt (protobuf text format) with the maintained txtpb codec. Its errors carry
 * no position, so on failure we locate the error by re-parsing prefixes of the text: the first
 * prefix that fails with the same message ends at the offending token.
 */
export function parseConfigText(text: string, path = 'config.pbtxt'): ModelConfig {
  try {
    return fromText(ModelConfigSchema, text);
  } catch (e) {
    const message = (e as Error).message;
    const { line, column } = locateError(text, message);
    throw invalidArg(`failed to read text proto from ${path}: line ${line}, column ${column}: ${message}`);
  }
}

function failsWith(text: string, message: string): boolean {
  try {
    fromText(ModelConfigSchema, text);
    return false;
  } catch (e) {
    return (e as Error).message === message;
  }
}

/** Returns the 1-based line and column of the token where parsing `text` fails with `message`. */
export function locateError(text: string, message: string): { line: number; column: number } {
  const lines = text.split('\n');
  if (message.startsWith('unexpected end of input')) {
    return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
  }
  let prefix = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const upTo = prefix + line;
    if (failsWith(upTo, message)) {
      for (let c = 1; c <= line.length; c++) {
        if (!failsWith(prefix + line.slice(0, c), message)) continue;
        // A missing ':' is noticed at the token after the field name, as protobuf's parser reports it.
        const column = message.startsWith('expected ":"') ? nextTokenStart(line, c) : tokenStart(line, c);
        return { line: i + 1, column };
      }
      return { line: i + 1, column: 1 };
    }
    prefix = `${upTo}\n`;
  }
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/** The 1-based column where the token that ends at `end` (1-based, inclusive) begins. */
function tokenStart(line: string, end: number): number {
  let i = end - 1;
  const last = line[i] ?? '';
  if (last === '"' || last === "'") {
    const open = line.lastIndexOf(last, i - 1);
    return open < 0 ? i + 1 : open + 1;
  }
  const isWord = (ch: string) => /[\w.+-]/.test(ch);
  if (!isWord(last)) return i + 1;
  while (i > 0 && isWord(line[i - 1]!)) i--;
  return i + 1;
}

/** The 1-based column of the first token after column `end`. */
function nextTokenStart(line: string, end: number): number {
  let i = end;
  while (i < line.length && /\s/.test(line[i]!)) i++;
  return i + 1;
}
