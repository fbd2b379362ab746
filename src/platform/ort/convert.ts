import type { Tensor as OrtTensor } from 'onnxruntime-common';
import { type DataType, invalidArg, type Tensor, type TensorData } from '../../core/index.ts';

type OrtType = OrtTensor.Type;

const TO_ORT: Partial<Record<DataType, OrtType>> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

const FROM_ORT = new Map<string, DataType>(Object.entries(TO_ORT).map(([k, v]) => [v as string, k as DataType]));

export function ortTypeToDataType(t: string): DataType | undefined {
  return FROM_ORT.get(t);
}

export type OrtTensorCtor = new (type: OrtType, data: unknown, dims?: readonly number[]) => OrtTensor;

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Our tensor → an onnxruntime tensor (numeric data is shared, not copied). */
export function toOrt(Ctor: OrtTensorCtor, name: string, t: Tensor): OrtTensor {
  const type = TO_ORT[t.datatype];
  if (!type) throw new Error(`onnxruntime does not support ${t.datatype} tensors (input '${name}')`);
  let data: unknown = t.data;
  if (t.datatype === 'BYTES') {
    try {
      data = (t.data as Uint8Array[]).map((b) => decoder.decode(b));
    } catch {
      throw invalidArg(`input '${name}' holds bytes that are not valid UTF-8; onnxruntime string tensors need UTF-8 text`);
    }
  }
  return new Ctor(type, data, t.shape);
}

/** An onnxruntime tensor → our tensor. */
export function fromOrt(name: string, t: OrtTensor): Tensor {
  const datatype = ortTypeToDataType(t.type);
  if (!datatype) throw new Error(`output '${name}' has type '${t.type}', which Nereid cannot return`);
  let data: TensorData;
  if (datatype === 'BYTES') data = (t.data as string[]).map((s) => encoder.encode(s));
  else if (datatype === 'BOOL' && !(t.data instanceof Uint8Array)) data = Uint8Array.from(t.data as ArrayLike<number>, (v) => (v ? 1 : 0));
  else data = t.data as TensorData;
  return { datatype, shape: t.dims.map(Number), data };
}
