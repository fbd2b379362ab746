/** KServe v2 / Triton tensor data types (protocol names). */
export type DataType = 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP16' | 'FP32' | 'FP64' | 'BYTES' | 'BF16';

export type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/**
 * Tensor contents. Numeric types use the matching typed array; BOOL uses Uint8Array (0/1);
 * FP16 and BF16 keep their raw 16-bit patterns in a Uint16Array; BYTES is a list of byte strings.
 */
export type TensorData = TypedArray | Uint8Array[];

export interface Tensor {
  datatype: DataType;
  shape: number[];
  data: TensorData;
}

export interface NamedTensor extends Tensor {
  name: string;
  parameters?: Parameters;
}

export type ParamValue = string | number | boolean | bigint;
export type Parameters = Record<string, ParamValue>;

/** An output the client asked for. `classification` > 0 asks for the top-K classes. */
export interface RequestedOutput {
  name: string;
  classification?: number;
  parameters?: Parameters;
}

/**
 * Cancellation as the core needs it: the part of AbortSignal it uses, so any AbortSignal fits and a
 * platform can pass something cheaper (creating an AbortSignal per request costs more than the
 * rest of a small request's path).
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
}

/** A correlation id: an unsigned integer (exact beyond 2^53 as a bigint) or a string. */
export type SequenceId = number | bigint | string;

/** Sequence-batcher flags of a request (request parameters sequence_id, sequence_start, sequence_end). */
export interface SequenceFlags {
  id: SequenceId;
  start: boolean;
  end: boolean;
}

/**
 * One inference request as every transport hands it to the core: decoded and with its
 * parameters parsed once (see codec/parameters.ts).
 */
export interface InferRequest {
  /** Model name, possibly qualified as NAMESPACE::MODEL. */
  model: string;
  /** Requested version; empty/undefined means "latest ready". */
  version?: string;
  id?: string;
  /** The client's own request parameters (Triton's reserved ones are the typed fields below); echoed in the response. */
  parameters?: Parameters;
  sequence?: SequenceFlags;
  /** Priority level (dynamic batcher); 0 or absent = the default level. */
  priority?: number;
  /** Queue timeout in microseconds (dynamic batcher, sequence backlog). */
  timeoutUs?: number;
  /** Outputs in binary form unless an output says otherwise (binary_data_output). */
  binaryOutput?: boolean;
  inputs: NamedTensor[];
  /** Undefined means all outputs of the model. */
  outputs?: RequestedOutput[];
  /** Raw binary request: the whole body is the data of the model's single input. */
  rawInput?: Uint8Array;
  /** Aborted when the client goes away; queued work is dropped. */
  signal?: CancelSignal;
}

export interface InferResponse {
  id?: string;
  model_name: string;
  model_version: string;
  parameters?: Parameters;
  outputs: NamedTensor[];
}

/**
 * Where the responses of one request go. An ordinary model sends exactly one, final; a decoupled
 * model (model_transaction_policy { decoupled: true }) any number, each as it is ready, the last
 * marked final (a final call may carry no response: the request ended with flags only). An error
 * for one response is sent in its place.
 */
export interface ResponseSink {
  send(response: InferResponse | Error | undefined, final: boolean): void;
}
