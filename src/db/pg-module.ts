import { createRequire } from 'node:module';
import type Pg from 'pg';

let loaded: typeof Pg | null = null;

/**
 * node-postgres, loaded when a PostgreSQL connection is first made: an embedded (SQLite) instance
 * never needs it, and importing it holds ≈ 4 MB of resident memory (docs/performance.md).
 */
export function pgModule(): typeof Pg {
  loaded ??= createRequire(import.meta.url)('pg') as typeof Pg;
  return loaded;
}
