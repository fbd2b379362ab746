export type LogLevel = 'error' | 'warn' | 'info' | 'verbose';

/** Structured logger handed to the core by the platform. */
export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  /** Verbose messages at `level` (1 = most important) are shown when --log-verbose >= level. */
  verbose(level: number, msg: string, fields?: Record<string, unknown>): void;
  /** An audit record (load, unload, config override): always written, as one JSON line. */
  audit(entry: Record<string, unknown>): void;
  /**
   * The highest verbose level this logger writes (0 = none; absent = unknown, treated as 0), so
   * callers can leave out work that only feeds verbose messages, such as the per-request log.
   */
  readonly verboseLevel?: number;
}

export interface ConsoleLoggerOptions {
  verbose?: number;
  format?: 'default' | 'json';
  write?: (line: string, level: LogLevel) => void;
  /** Suppress info messages (errors and warnings still show). */
  quiet?: boolean;
}

/** A logger writing one line per message, in Triton's plain layout or as JSON. */
export function createLogger(opts: ConsoleLoggerOptions = {}): Logger {
  const verboseLevel = opts.verbose ?? 0;
  const write = opts.write ?? ((line: string, level: LogLevel) => (level === 'error' || level === 'warn' ? console.error(line) : console.log(line)));
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    const time = new Date().toISOString();
    if (opts.format === 'json') {
      write(JSON.stringify({ time, level, msg, ...fields }), level);
      return;
    }
    const tag = { error: 'E', warn: 'W', info: 'I', verbose: 'V' }[level];
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    write(`${tag} ${time} ${msg}${extra}`, level);
  };
  return {
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => {
      if (!opts.quiet) emit('info', m, f);
    },
    verbose: (lvl, m, f) => {
      if (lvl <= verboseLevel) emit('verbose', m, f);
    },
    audit: (entry) => write(JSON.stringify({ audit: true, ...entry }), 'info'),
    verboseLevel,
  };
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, verbose() {}, audit() {}, verboseLevel: 0 };
