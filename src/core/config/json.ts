import { type DescMessage, fromJson, type JsonObject, type JsonValue, toJson } from '@bufbuild/protobuf';
import { invalidArg } from '../errors.ts';
import { type ModelConfig, ModelConfigSchema } from './gen/model_config_pb.ts';

/**
 * 64-bit fields that Triton prints as JSON numbers (protobuf JSON prints them as strings).
 * `[]` walks an array, `*` walks every value of a map.
 */
const NUMERIC_PATHS = [
  'input[].dims',
  'input[].reshape.shape',
  'output[].dims',
  'output[].reshape.shape',
  'version_policy.specific.versions',
  'dynamic_batching.max_queue_delay_microseconds',
  'dynamic_batching.priority_levels',
  'dynamic_batching.default_priority_level',
  'dynamic_batching.default_queue_policy.default_timeout_microseconds',
  'dynamic_batching.priority_queue_policy.*.default_timeout_microseconds',
  'sequence_batching.max_sequence_idle_microseconds',
  'sequence_batching.oldest.max_queue_delay_microseconds',
  'sequence_batching.direct.max_queue_delay_microseconds',
  'sequence_batching.state[].dims',
  'ensemble_scheduling.step[].model_version',
  'model_warmup[].inputs.*.dims',
].map((p) => p.split('.'));

/** The completed config as Triton's `/config` JSON: snake_case, defaults printed, declaration order. */
export function configToJson(config: ModelConfig): JsonObject {
  const json = toJson(ModelConfigSchema, config, { alwaysEmitImplicit: true, useProtoFieldName: true }) as JsonObject;
  for (const path of NUMERIC_PATHS) convertAt(json, path);
  return ordered(ModelConfigSchema, json) as JsonObject;
}

/** Parses a JSON config (load override). Unknown fields are errors, as in Triton. */
export function configFromJson(json: unknown): ModelConfig {
  try {
    return fromJson(ModelConfigSchema, upperEnums(ModelConfigSchema, json as JsonValue), { ignoreUnknownFields: false });
  } catch (e) {
    throw invalidArg(`Invalid config override: ${(e as Error).message}`);
  }
}

function convertAt(node: JsonValue | undefined, path: string[]): void {
  if (node === undefined || node === null || typeof node !== 'object') return;
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (head === '*') {
    for (const v of Object.values(node as JsonObject)) convertAt(v, rest);
    return;
  }
  const isArray = head.endsWith('[]');
  const key = isArray ? head.slice(0, -2) : head;
  const obj = node as JsonObject;
  const value = obj[key];
  if (value === undefined) return;
  if (rest.length === 0) {
    obj[key] = Array.isArray(value) ? value.map(toNumber) : toNumber(value);
    return;
  }
  if (isArray && Array.isArray(value)) for (const v of value) convertAt(v, rest);
  else convertAt(value, rest);
}

function toNumber(v: JsonValue): JsonValue {
  return typeof v === 'string' && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v;
}

/** Re-orders object keys to the .proto declaration order (protobuf-es prints by field number). */
function ordered(desc: DescMessage, json: JsonValue): JsonValue {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return json;
  const out: JsonObject = {};
  for (const field of desc.fields) {
    const key = field.name;
    if (!(key in json)) continue;
    const value = (json as JsonObject)[key]!;
    if (field.fieldKind === 'message') {
      out[key] = Array.isArray(value) ? value : ordered(field.message, value);
    } else if (field.fieldKind === 'list' && field.listKind === 'message' && Array.isArray(value)) {
      out[key] = value.map((v) => ordered(field.message, v));
    } else if (field.fieldKind === 'map' && field.mapKind === 'message' && value && typeof value === 'object') {
      const m: JsonObject = {};
      for (const [k, v] of Object.entries(value as JsonObject)) m[k] = ordered(field.message, v);
      out[key] = m;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Enum names in any case (Triton parses overrides with case_insensitive_enum_parsing). */
function upperEnums(desc: DescMessage, json: JsonValue): JsonValue {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return json;
  const out: JsonObject = { ...json };
  for (const field of desc.fields) {
    for (const key of [field.name, field.jsonName]) {
      const v = out[key];
      if (v === undefined) continue;
      const up = (x: JsonValue) => (typeof x === 'string' ? x.toUpperCase() : x);
      if (field.fieldKind === 'enum') out[key] = up(v);
      else if (field.fieldKind === 'list' && field.listKind === 'enum' && Array.isArray(v)) out[key] = v.map(up);
      else if (field.fieldKind === 'message') out[key] = upperEnums(field.message, v);
      else if (field.fieldKind === 'list' && field.listKind === 'message' && Array.isArray(v)) out[key] = v.map((x) => upperEnums(field.message, x));
      else if (field.fieldKind === 'map' && field.mapKind === 'message' && v && typeof v === 'object' && !Array.isArray(v)) {
        out[key] = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, upperEnums(field.message, x)]));
      }
    }
  }
  return out;
}
