import { create } from '@bufbuild/protobuf';
import { invalidArg, isLogFormat, LOG_FILE_REFUSED, type LogSettingsUpdate, unsupported } from '../../core/index.ts';
import type { GrpcContext } from './context.ts';
import {
  type LogSettingsRequest,
  type LogSettingsRequest_SettingValue,
  type LogSettingsResponse,
  LogSettingsResponse_SettingValueSchema,
  LogSettingsResponseSchema,
} from './gen/grpc_service_pb.ts';

type Case = NonNullable<LogSettingsRequest_SettingValue['parameterChoice']['case']>;

/** Each setting's oneof case and Triton's word for it in `expect <word> for '<key>'`. */
const TYPES: Record<string, [Case, string]> = {
  log_info: ['boolParam', 'boolean'],
  log_warning: ['boolParam', 'boolean'],
  log_error: ['boolParam', 'boolean'],
  log_verbose_level: ['uint32Param', 'int32'],
  log_format: ['stringParam', 'string'],
};

/**
 * LogSettings: the live log settings HTTP's /v2/logging shows and changes too (one settings
 * object, the logger's). Every value is checked before any changes; `log_file` is refused as by
 * Triton (logs go to stdout and stderr).
 */
export function logSettings(g: GrpcContext) {
  return async (req: LogSettingsRequest): Promise<LogSettingsResponse> => {
    if ('log_file' in req.settings) throw unsupported(LOG_FILE_REFUSED);
    const update: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(req.settings)) {
      const type = TYPES[key];
      if (!type) throw invalidArg(`unknown log setting '${key}' (settings: log_file, ${Object.keys(TYPES).join(', ')})`);
      if (value.parameterChoice.case !== type[0]) throw invalidArg(`expect ${type[1]} for '${key}'`);
      update[key] = value.parameterChoice.value;
    }
    if (typeof update.log_format === 'string' && !isLogFormat(update.log_format)) {
      throw invalidArg(`invalid argument for log_format, got: ${update.log_format}`);
    }
    const view = await g.server.logSettings(update as LogSettingsUpdate);
    const value = (v: string | number | boolean) =>
      create(LogSettingsResponse_SettingValueSchema, {
        parameterChoice:
          typeof v === 'boolean'
            ? { case: 'boolParam', value: v }
            : typeof v === 'number'
              ? { case: 'uint32Param', value: v }
              : { case: 'stringParam', value: v },
      });
    return create(LogSettingsResponseSchema, { settings: Object.fromEntries(Object.entries(view).map(([k, v]) => [k, value(v)])) });
  };
}
