import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteAdapter, SqliteDialect, type DialectAdapter, type SqliteStatement } from 'kysely';
import type pg from 'pg';
import { startCheckpointer, type Checkpointer, type CheckpointerOptions } from './checkpointer.js';
import { pgModule } from './pg-module.js';
import type { Database, Dialect } from './schema.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  dialect: Dialect;
  sqlitePath: string | null;
  poolSize: number;
  /**
   * SQLite: WAL checkpoints on a worker thread instead of inside COMMIT (see checkpointer.ts), for
   * the long-running processes; `onError` hears when that fell back to automatic checkpoints.
   */
  backgroundCheckpoints?: CheckpointerOptions;
}

/** SQLite DDL is transactional; Kysely's adapter says otherwise, so a failing migration would leave half a schema. */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class TransactionalSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter();
  }
}

/** Prepared statements kept per SQLite connection; beyond this the least recently used go. */
const STATEMENT_CACHE_SIZE = 500;

/** COMMIT (and its synonym END) write nothing themselves, so SQLite calls them read-only; they end a write. */
const ENDS_TRANSACTION = /^\s*(commit|end)\b/i;

/**
 * A statement that may leave committed writes behind: once it has run outside a transaction (an
 * autocommit write, or the COMMIT itself), `committed` is called.
 */
function reportingCommits(stmt: SQLite.Statement, conn: SQLite.Database, committed: () => void): SqliteStatement {
  const after = <T>(result: T): T => {
    if (!conn.inTransaction) committed();
    return result;
  };
  return {
    reader: stmt.reader,
    all: (parameters) => after(stmt.all(parameters as unknown[])),
    run: (parameters) => after(stmt.run(parameters as unknown[])),
    iterate: (parameters) => stmt.iterate(parameters as unknown[]),
  };
}

/**
 * Kysely prepares every query anew on SQLite. The sync writes the same few statements thousands of
 * times, so the connection keeps prepared statements by SQL text (Kysely runs one query at a time
 * per connection, so a cached statement is never in use twice). With a `committed` callback, the
 * statements that write report when their writes are committed.
 */
function withStatementCache(conn: SQLite.Database, committed?: () => void): { prepare(sql: string): SqliteStatement; close(): void } {
  const cache = new Map<string, SqliteStatement>();
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) cache.delete(sql);
      else {
        const prepared = conn.prepare(sql);
        stmt = committed && (!prepared.readonly || ENDS_TRANSACTION.test(sql)) ? reportingCommits(prepared, conn, committed) : prepared;
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
    close() {
      cache.clear();
      conn.close();
    },
  };
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** pg returns int8 and count() as strings; our int8 values are epoch ms and counts, all below 2^53. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pgModule().types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/**
 * Page size of a new SQLite database. Sealed source chunks (up to 256 KB each) are most of what the
 * database holds; with 4 KB pages each one is a chain of ~64 overflow pages, every one a WAL frame
 * written at COMMIT and again at the checkpoint. 16 KB pages cut the first sync's COMMIT time by
 * ~40 % (docs/performance.md, fifth round) while a small row update still writes few bytes.
 * SQLite fixes the size when the first table is created; an existing database keeps its own.
 */
export const SQLITE_PAGE_SIZE = 16_384;

export function openSqlite(file: string): SQLite.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const conn = new SQLite(file);
  conn.pragma(`page_size = ${SQLITE_PAGE_SIZE}`);
  conn.pragma('journal_mode = WAL');
  conn.pragma('foreign_keys = ON');
  conn.pragma('busy_timeout = 5000');
  conn.pragma('synchronous = NORMAL');
  return conn;
}

export function createDatabase(options: DatabaseOptions): DatabaseHandle {
  if (options.dialect === 'sqlite') {
    if (!options.sqlitePath) throw new Error('sqlitePath is required for SQLite');
    const conn = openSqlite(options.sqlitePath);
    const checkpointer: Checkpointer | null = options.backgroundCheckpoints ? startCheckpointer(conn, options.sqlitePath, options.backgroundCheckpoints) : null;
    const db = new Kysely<Database>({ dialect: new TransactionalSqliteDialect({ database: withStatementCache(conn, checkpointer ? () => checkpointer.committed() : undefined) }) });
    return {
      db,
      dialect: 'sqlite',
      close: async () => {
        // The worker's connection goes first: the last one to close checkpoints and removes the WAL.
        await checkpointer?.close();
        await db.destroy();
      },
    };
  }
  const pool = new (pgModule().Pool)({
    connectionString: options.url,
    max: options.poolSize,
    types: pgTypes,
    connectionTimeoutMillis: 10_000,
    application_name: 'mailhelper',
  });
  // An idle client that loses its server must not crash the process; the next query reports the failure.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}
