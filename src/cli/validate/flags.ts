import type { FlagSpec } from '../args.ts';
import { SERVE_FLAGS } from '../serve-flags.ts';

/** Serve flags that mean the same for validation and config generation (same names, defaults and help). */
const shared = (...names: string[]): FlagSpec[] => names.map((n) => SERVE_FLAGS.find((f) => f.name === n)!);

/** `nereid validate DIR...` flags. */
export const VALIDATE_FLAGS: readonly FlagSpec[] = [
  {
    name: 'model-repository',
    aliases: ['model-store'],
    type: 'list',
    meta: '[NAME=]DIR',
    default: [],
    help: 'A repository to check, besides the DIR arguments; NAME= sets its namespace',
  },
  ...shared('model-namespacing', 'disable-auto-complete-config', 'strict-model-config', 'model-config-name', 'execution-provider'),
  { name: 'infer', type: 'bool', default: false, help: 'Send every READY version one synthetic request and check its outputs against the config' },
  { name: 'json', type: 'bool', default: false, help: 'Print the report as JSON (see README: nereid validate)' },
  { name: 'log-verbose', type: 'int', min: 0, default: 0, help: "Show the server's log while loading (1 and up)" },
  { name: 'help', type: 'bool', default: false, help: 'Show this help' },
];

/** `nereid config generate MODEL_DIR` flags. */
export const CONFIG_FLAGS: readonly FlagSpec[] = [
  {
    name: 'checksums',
    type: 'bool',
    default: false,
    help: 'Add checksum agent entries for every file of every version directory (replacing existing ones)',
  },
  { name: 'checksum-algorithm', type: 'choice', choices: ['md5', 'sha256'], default: 'md5', help: 'Digest for --checksums (md5 is what Triton checks)' },
  { name: 'output', type: 'string', meta: 'FILE', help: 'Write the config to FILE (default: standard output)' },
  ...shared('model-config-name', 'execution-provider'),
  { name: 'help', type: 'bool', default: false, help: 'Show this help' },
];
