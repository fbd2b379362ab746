export type LogLevel = 'error' | 'warn' | 'info' | 'verbose';

/** Line layouts: Nereid's plain one (`I <time> msg`), Triton's ISO8601 one (`<time> I msg`), or JSON. */
export type LogFormat = 'default' | 'ISO8601' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['default', 'ISO8601', 'json'];

/**
 * What a logger writes, read on every message: the logging extension (HTTP /v2/logging, gRPC
 * LogSettings) changes it while the server runs, and every holder of the logger sees the change.
 */
export interface LogSettings {
  info: boolean;
  warning: boolean;
  error: boolean;
  /** Verbose messages at a level up to this one are written (0 = none). */
  verbose: number;
  format: LogFormat;
}

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
   * Read it when the work happens: it changes when the settings do.
   */
  readonly verboseLevel?: number;
  /** The live settings, for loggers that can change them at runtime (absent: fixed). */
  readonly settings?: LogSettings;
}

export interface ConsoleLoggerOptions {
  verbose?: number;
  format?: LogFormat;
  write?: (line: string, level: LogLevel) => void;
  /** Suppress info messages (errors and warnings still show). */
  quiet?: boolean;
}

const TAG: Record<LogLevel, string> = { error: 'E', warn: 'W', info: 'I', verbose: 'V' };

/** A logger writing one line per message, in Triton's plain layout or as JSON; its settings can change live. */
export function createLogger(opts: ConsoleLoggerOptions = {}): Logger {
  const settings: LogSettings = { info: !opts.quiet, warning: true, error: true, verbose: opts.verbose ?? 0, format: opts.format ?? 'default' };
  const write = opts.write ?? ((line: string, level: LogLevel) => (level === 'error' || level === 'warn' ? console.error(line) : console.log(line)));
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    const time = new Date().toISOString();
    if (settings.format === 'json') {
      write(JSON.stringify({ time, level, msg, ...fields }), level);
      return;
    }
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    write(settings.format === 'ISO8601' ? `${time} ${TAG[level]} ${msg}${extra}` : `${TAG[level]} ${time} ${msg}${extra}`, level);
  };
  return {
    error: (m, f) => {
      if (settings.error) emit('error', m, f);
    },
    warn: (m, f) => {
      if (settings.warning) emit('warn', m, f);
    },
    info: (m, f) => {
      if (settings.info) emit('info', m, f);
    },
    verbose: (lvl, m, f) => {
      if (lvl <= settings.verbose) emit('verbose', m, f);
    },
    audit: (entry) => write(JSON.stringify({ audit: true, ...entry }), 'info'),
    get verboseLevel() {
      return settings.verbose;
    },
    settings,
  };
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, verbose() {}, audit() {}, verboseLevel: 0 };
