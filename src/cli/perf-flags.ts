import type { FlagSpec } from './args.ts';

/** `nereid perf` flags, modelled on perf_analyzer's. */
export const PERF_FLAGS: readonly FlagSpec[] = [
  { name: 'model-name', short: 'm', type: 'string', meta: 'MODEL', help: 'Model to measure (required)' },
  { name: 'model-version', short: 'x', type: 'string', meta: 'VERSION', help: 'Model version (default: latest ready)' },
  {
    name: 'url',
    short: 'u',
    type: 'string',
    meta: 'HOST:PORT',
    help: 'Server address (http:// is implied); traffic goes nowhere else (default: localhost:8000 with -i http, localhost:8001 with -i grpc)',
  },
  {
    name: 'protocol',
    short: 'i',
    type: 'choice',
    choices: ['http', 'grpc'],
    default: 'http',
    help: "KServe v2 HTTP, or Triton's gRPC service (ModelInfer with raw_input_contents)",
  },
  {
    name: 'streaming',
    type: 'bool',
    default: false,
    help: 'gRPC only: send requests over ModelStreamInfer, one stream per concurrent client (one in rate mode); needed for decoupled models',
  },
  { name: 'batch-size', short: 'b', type: 'int', min: 1, default: 1, help: 'Batch size of each request' },
  { name: 'concurrency-range', type: 'string', meta: 'START:END:STEP', help: 'Concurrency levels (default 1)' },
  { name: 'request-rate-range', type: 'string', meta: 'START:END:STEP', help: 'Request rates per second, instead of concurrency' },
  {
    name: 'input-data',
    type: 'string',
    meta: 'zero|random|FILE.json',
    default: 'random',
    help: 'Input values: zeros, random, or a perf_analyzer JSON data file',
  },
  { name: 'shape', type: 'list', meta: 'NAME:D1,D2', default: [], help: 'Shape of a variable-size input (without the batch dimension)' },
  { name: 'measurement-interval', short: 'p', type: 'int', min: 10, default: 5000, help: 'Measurement window in milliseconds' },
  { name: 'stability-percentage', short: 's', type: 'int', min: 1, default: 10, help: 'Windows are stable when throughput and latency vary less than this' },
  { name: 'max-trials', short: 'r', type: 'int', min: 1, max: 100, default: 10, help: 'Most windows per level' },
  { name: 'percentile', type: 'int', min: 1, max: 99, help: 'Use this latency percentile for stability and the summary (default: average)' },
  { name: 'binary', type: 'bool', default: true, help: 'HTTP: send and receive tensors in binary form' },
  { name: 'json', type: 'bool', default: false, help: 'HTTP: send and receive tensors as JSON (overrides --binary)' },
  { name: 'sequence-length', type: 'int', min: 1, default: 20, help: 'Requests per sequence for sequence models' },
  { name: 'sequence-id-range', type: 'string', meta: 'START', default: '1', help: 'First correlation id for sequence models' },
  { name: 'latency-report-file', short: 'f', type: 'string', meta: 'FILE.csv', help: 'Write the results as perf_analyzer CSV' },
  { name: 'help', short: 'h', type: 'bool', default: false, help: 'Show this help' },
];
