import type { FlagSpec } from './args.ts';

/** `nereid serve` flags: Triton's names and defaults. */
export const SERVE_FLAGS: readonly FlagSpec[] = [
  { name: 'model-repository', aliases: ['model-store'], type: 'list', meta: '[NAME=]DIR', default: [], help: 'Model repository directory; NAME= sets its namespace' },
  { name: 'http-port', type: 'int', min: 0, max: 65535, default: 8000, help: 'HTTP port (0 = any free port, printed on start)' },
  { name: 'http-address', type: 'string', meta: 'ADDR', default: '0.0.0.0', help: 'HTTP listen address' },
  { name: 'model-control-mode', type: 'choice', choices: ['none', 'poll', 'explicit'], default: 'none', help: 'Model control mode' },
  { name: 'load-model', type: 'list', meta: 'NAME', default: [], help: "Model to load at startup in explicit mode ('*' = all)" },
  { name: 'repository-poll-secs', type: 'int', min: 0, default: 15, help: 'Seconds between repository polls in poll mode (0 = never)' },
  { name: 'strict-readiness', type: 'bool', default: true, help: '/v2/health/ready requires every model to be ready' },
  { name: 'disable-auto-complete-config', type: 'bool', default: false, help: 'Do not complete configs from model files' },
  { name: 'strict-model-config', type: 'bool', default: false, help: 'Deprecated alias of --disable-auto-complete-config' },
  { name: 'exit-on-error', type: 'bool', default: true, help: 'Exit when a startup model fails to load' },
  { name: 'model-namespacing', type: 'bool', default: false, help: 'Same-named models in different repositories coexist (address as NAMESPACE::MODEL)' },
  { name: 'model-config-name', type: 'string', meta: 'NAME', help: 'Use <model>/configs/NAME.pbtxt when present' },
  { name: 'execution-provider', type: 'choice', choices: ['auto', 'cpu', 'cuda', 'webgpu', 'wasm'], default: 'auto', help: 'Default onnxruntime execution provider (auto: CUDA for KIND_GPU when present, else CPU; webgpu/wasm use onnxruntime-web)' },
  { name: 'model-load-thread-count', type: 'int', min: 1, default: 4, help: 'Models loaded in parallel' },
  { name: 'http-max-input-size', type: 'int', min: 1, default: 67108864, help: 'Largest request body in bytes' },
  { name: 'exit-timeout-secs', type: 'int', min: 0, default: 30, help: 'Seconds in-flight requests get to finish on shutdown' },
  { name: 'allow-metrics', type: 'bool', default: true, help: 'Serve Prometheus metrics at GET /metrics on --metrics-port' },
  { name: 'metrics-port', type: 'int', min: 0, max: 65535, default: 8002, help: 'Metrics port (0 = any free port)' },
  { name: 'metrics-address', type: 'string', meta: 'ADDR', help: 'Metrics listen address (default: --http-address)' },
  { name: 'id', type: 'string', meta: 'NAME', default: 'nereid', help: 'Server name reported by GET /v2' },
  { name: 'log-verbose', type: 'int', min: 0, default: 0, help: 'Verbose logging level' },
  { name: 'log-format', type: 'choice', choices: ['default', 'json'], default: 'default', help: 'Log line format' },
  { name: 'help', type: 'bool', default: false, help: 'Show this help' },
];
