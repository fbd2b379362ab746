// The server version reported by GET /v2 and `nereid --version`: package.json's, read at build time
// by the bundler (and by Node, Deno and vitest when they run the sources), so the two never drift.
import pkg from '../../package.json' with { type: 'json' };

export const NEREID_VERSION: string = pkg.version;
