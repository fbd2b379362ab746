export * from './types.ts';
export * from './errors.ts';
export { type Clock, realClock } from './clock.ts';
export { createLogger, LOG_FORMATS, type LogFormat, type Logger, type LogLevel, type LogSettings, silentLogger } from './log.ts';
export {
  applyLogSettings,
  isLogFormat,
  LOG_FILE_REFUSED,
  LOGGING_UNAVAILABLE,
  type LogSettingsUpdate,
  type LogSettingsView,
  logSettingsView,
} from './log-settings.ts';
export type {
  BackendInstance,
  DeviceKind,
  ExecOutcome,
  ExecRequest,
  ExecResult,
  ExecTiming,
  ExecutionBackend,
  InstanceSpec,
  ModelSource,
} from './backend/backend.ts';
export {
  chooseProviders,
  EXECUTION_PROVIDERS,
  isProviderName,
  modelProvider,
  type OrtRuntimeName,
  type PlatformProviders,
  PROVIDER_NAMES,
  type ProviderChoice,
  type ProviderName,
  type ProviderPreference,
  type ProviderStatus,
} from './backend/providers.ts';
export { RuntimeRegistry } from './backend/registry.ts';
export type { MaybePromise, ServerApi } from './server-api.ts';
export { InferenceServer, type RepositoryMount, type ServerOptions, NEREID_VERSION } from './server.ts';
export type { ControlMode, IndexEntry, LoadOptions } from './lifecycle/model-manager.ts';
export type { DirEntry, FileStat, RepositoryDriver } from './repository/driver.ts';
export { joinPath } from './repository/driver.ts';
export { isIgnoredName } from './repository/fingerprint.ts';
export { completeFromModelIO, type TensorSpec } from './config/complete.ts';
export { checkModelIO, type ModelIO } from './config/check-model-io.ts';
export { parseConfigText } from './config/parse.ts';
export { configFromJson, configToJson } from './config/json.ts';
export { mergeInputs, splitOutputs } from './scheduling/batch.ts';
export type { ModelConfig } from './config/gen/model_config_pb.ts';
export { coerceTensorData } from './tensor/coerce.ts';
export { allocate, byteSize, DATA_TYPES, elementCount, isDataType, tensorBytes, viewBytes } from './tensor/datatype.ts';
export { deserializeBytesTensor, serializeBytesTensor } from './tensor/bytes.ts';
export { checkShape } from './tensor/shape.ts';
export { clientShape, configTypeName, dims, protocolType } from './config/accessors.ts';
export { parameter } from './config/accessors.ts';
export * from './codec/index.ts';
export { countCopied, tensorCopies } from './stats/copies.ts';
export { type ProcessSample, type ProcessSampler, renderProcessMetrics } from './metrics/process-metrics.ts';
export { validateRepositories, type ValidateOptions } from './validate/validate.ts';
export type { CheckName, ModelResult, Problem, Severity, ValidationReport, VersionResult } from './validate/report.ts';
export { generateConfig, type GenerateConfigOptions } from './validate/generate-config.ts';
export { configToText } from './config/text.ts';
export type { DigestAlgorithm } from './repository/digest.ts';
