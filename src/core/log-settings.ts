import { LOG_FORMATS, type LogFormat, type LogSettings } from './log.ts';

/** Triton's logging extension (GET/POST /v2/logging, gRPC LogSettings) over a logger's live settings. */
export interface LogSettingsView {
  log_file: string;
  log_info: boolean;
  log_warning: boolean;
  log_error: boolean;
  log_verbose_level: number;
  log_format: LogFormat;
}

/** A change each transport has checked for types: only the keys present change. */
export type LogSettingsUpdate = Partial<Omit<LogSettingsView, 'log_file'>>;

/** Triton's answer to a client that names a log file (both protocols). */
export const LOG_FILE_REFUSED = 'log file location can not be updated through network protocol';
/** Triton's answer when dynamic logging is not available (a logger without live settings). */
export const LOGGING_UNAVAILABLE = 'the server does not support dynamic logging';

export const isLogFormat = (v: string): v is LogFormat => (LOG_FORMATS as readonly string[]).includes(v);

/** The settings in Triton's keys; logs go to stdout and stderr, so `log_file` is always empty. */
export function logSettingsView(s: LogSettings): LogSettingsView {
  return { log_file: '', log_info: s.info, log_warning: s.warning, log_error: s.error, log_verbose_level: s.verbose, log_format: s.format };
}

/** Applies a checked update all at once (a request with one bad value changes nothing). */
export function applyLogSettings(s: LogSettings, u: LogSettingsUpdate): void {
  if (u.log_info !== undefined) s.info = u.log_info;
  if (u.log_warning !== undefined) s.warning = u.log_warning;
  if (u.log_error !== undefined) s.error = u.log_error;
  if (u.log_verbose_level !== undefined) s.verbose = u.log_verbose_level;
  if (u.log_format !== undefined) s.format = u.log_format;
}
