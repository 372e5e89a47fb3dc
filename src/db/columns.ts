import type { ColumnDataType, Expression } from 'kysely';
import { sql } from 'kysely';
import type { Dialect } from './schema.js';

type DataType = ColumnDataType | Expression<unknown>;

/**
 * Column types that read back identically on both dialects. Used by every migration so that
 * "id", "time" or "flag" means the same thing everywhere.
 */
export function columnTypes(dialect: Dialect) {
  const pg = dialect === 'postgres';
  return {
    /** UUIDv7: PostgreSQL uuid, SQLite lower-case TEXT. */
    id: (pg ? 'uuid' : 'text') as DataType,
    /** Epoch milliseconds. */
    time: 'bigint' as DataType,
    /** Any 64-bit integer that fits a JS number (counts, sizes, modseq). */
    bigint: 'bigint' as DataType,
    integer: 'integer' as DataType,
    /** 0/1. */
    flag: 'integer' as DataType,
    text: 'text' as DataType,
    blob: (pg ? 'bytea' : 'blob') as DataType,
    real: (pg ? 'double precision' : 'real') as DataType,
    /** The current time in epoch ms, as a column default. */
    nowMs: pg ? sql`(floor(extract(epoch from clock_timestamp()) * 1000))::bigint` : sql`(cast(unixepoch('subsec') * 1000 as integer))`,
  };
}

/** A CHECK constraint that a column holds one of the given literal values. */
export function checkIn(column: string, values: string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}
