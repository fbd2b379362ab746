import type { DataType } from '../types.ts';
import {
  DataType as PbDataTypes,
  type ModelConfig,
  type ModelDynamicBatching,
  type ModelEnsembling,
  type ModelInput,
  type ModelOutput,
  type ModelSequenceBatching,
} from './gen/model_config_pb.ts';

export type { ModelConfig, ModelInput, ModelOutput } from './gen/model_config_pb.ts';
type PbDataType = (typeof PbDataTypes)[keyof typeof PbDataTypes];

const NAMES: DataType[] = [];
for (const [k, v] of Object.entries(PbDataTypes)) {
  if (v === 0) continue;
  NAMES[v] = k === 'TYPE_STRING' ? 'BYTES' : (k.slice(5) as DataType);
}

/** Protocol datatype of a config data_type enum value (undefined for TYPE_INVALID). */
export function protocolType(t: number): DataType | undefined {
  return NAMES[t];
}

/** Config enum value of a protocol datatype. */
export function configType(dt: DataType): PbDataType {
  return NAMES.indexOf(dt) as PbDataType;
}

export function configTypeName(t: number): string {
  const dt = NAMES[t];
  return dt === undefined ? 'TYPE_INVALID' : dt === 'BYTES' ? 'TYPE_STRING' : `TYPE_${dt}`;
}

export const dims = (io: { dims: bigint[] }): number[] => io.dims.map(Number);

/** The shape clients see: [-1, ...dims] for batching models, else dims. */
export function clientShape(config: ModelConfig, io: ModelInput | ModelOutput): number[] {
  return config.maxBatchSize > 0 ? [-1, ...dims(io)] : dims(io);
}

export function dynamicBatching(c: ModelConfig): ModelDynamicBatching | undefined {
  return c.schedulingChoice.case === 'dynamicBatching' ? c.schedulingChoice.value : undefined;
}

export function sequenceBatching(c: ModelConfig): ModelSequenceBatching | undefined {
  return c.schedulingChoice.case === 'sequenceBatching' ? c.schedulingChoice.value : undefined;
}

export function ensembleScheduling(c: ModelConfig): ModelEnsembling | undefined {
  return c.schedulingChoice.case === 'ensembleScheduling' ? c.schedulingChoice.value : undefined;
}

export const isEnsemble = (c: ModelConfig): boolean => c.platform === 'ensemble';

export function parameter(c: ModelConfig, key: string): string | undefined {
  return c.parameters[key]?.stringValue;
}
