import type { Kysely } from 'kysely';
import type { Dialect } from '../schema.js';

/** A schema step that runs on both dialects; `down` undoes exactly what `up` did. */
export interface SchemaMigration {
  name: string;
  // Migrations see the schema as it was when they were written, so they are untyped on purpose.
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
  down(db: Kysely<any>, dialect: Dialect): Promise<void>;
}
