import { createHash, type Hash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DatabaseHandle } from './database.js';
import { assertSchemaCurrent, migrateUp, migrationStatus } from './migrate.js';

/**
 * `mailhelper db copy`: every row of one database into another (SQLite ⇄ PostgreSQL), as stored —
 * sealed columns stay sealed, so the copy needs no key and the target opens with the same master
 * key ring. This is a maintenance tool over the whole database, so unlike repositories it is not
 * scoped to a user.
 *
 * Tables are copied parents first (by their foreign keys), each in pages read in the source's own
 * physical order (SQLite rowid, PostgreSQL ctid; the source must be idle). Every page is written in
 * one target transaction together with the copy's progress, so an interrupted copy resumes after
 * its last committed page and never writes a row twice. Afterwards both sides are read again and
 * compared table by table: row counts and a checksum of the rows' contents that does not depend on
 * their order (the sum of each row's SHA-256 over its canonical encoding).
 */

export class DbCopyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DbCopyError';
  }
}

/** The target's own migration bookkeeping and the registry of live processes are not copied. */
const PROGRESS_TABLE = 'mailhelper_copy_progress';
const NOT_COPIED = new Set(['schema_migrations', 'schema_migrations_lock', 'workers', PROGRESS_TABLE]);
/** A worker whose heartbeat is younger than this is taken as running. */
const LIVE_WORKER_MS = 60_000;

export interface TableInfo {
  name: string;
  /** Sorted by name: the canonical order of the checksum. */
  columns: string[];
  hasBlobs: boolean;
  parents: string[];
}

export interface TableCheck {
  table: string;
  sourceRows: number;
  targetRows: number;
  sourceChecksum: string;
  targetChecksum: string;
  equal: boolean;
}

export interface CopyOptions {
  /** Rows per page (tables without binary columns). */
  pageRows?: number;
  /** Rows per page of tables with binary columns (sealed chunks are up to 256 KB each). */
  blobPageRows?: number;
  /** Continue an interrupted copy into a target that holds its progress. */
  resume?: boolean;
  onPage?: (table: string, rowsSoFar: number) => void;
  now?: () => number;
}

export interface CopyResult {
  tables: TableCheck[];
  copiedRows: number;
}

type Row = Record<string, unknown>;

export async function listTables(h: DatabaseHandle): Promise<TableInfo[]> {
  const db = h.db as Kysely<any>;
  const out: TableInfo[] = [];
  if (h.dialect === 'sqlite') {
    const names = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(db);
    for (const { name } of names.rows) {
      if (NOT_COPIED.has(name)) continue;
      const cols = await sql<{ name: string; type: string }>`select name, type from pragma_table_info(${name})`.execute(db);
      const fks = await sql<{ table: string }>`select "table" from pragma_foreign_key_list(${name})`.execute(db);
      out.push(tableInfo(name, cols.rows.map((c) => ({ name: c.name, blob: /blob/i.test(c.type) })), fks.rows.map((f) => f.table)));
    }
  } else {
    const names = await sql<{ name: string }>`
      select table_name as name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
    const fks = await sql<{ child: string; parent: string }>`
      select cl.relname as child, pcl.relname as parent
      from pg_constraint c
      join pg_class cl on cl.oid = c.conrelid
      join pg_class pcl on pcl.oid = c.confrelid
      join pg_namespace n on n.oid = cl.relnamespace
      where c.contype = 'f' and n.nspname = current_schema()`.execute(db);
    for (const { name } of names.rows) {
      if (NOT_COPIED.has(name)) continue;
      const cols = await sql<{ name: string; type: string }>`
        select column_name as name, data_type as type from information_schema.columns
        where table_schema = current_schema() and table_name = ${name}`.execute(db);
      out.push(tableInfo(name, cols.rows.map((c) => ({ name: c.name, blob: c.type === 'bytea' })), fks.rows.filter((f) => f.child === name).map((f) => f.parent)));
    }
  }
  return parentsFirst(out);
}

function tableInfo(name: string, cols: { name: string; blob: boolean }[], parents: string[]): TableInfo {
  return {
    name,
    columns: cols.map((c) => c.name).sort(),
    hasBlobs: cols.some((c) => c.blob),
    parents: [...new Set(parents)].filter((p) => p !== name && !NOT_COPIED.has(p)),
  };
}

/** Kahn's order; ties by name, so both dialects copy in the same order. */
function parentsFirst(tables: TableInfo[]): TableInfo[] {
  const left = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const ordered: TableInfo[] = [];
  while (left.size > 0) {
    const ready = [...left.values()].filter((t) => t.parents.every((p) => done.has(p) || !left.has(p))).sort((a, b) => a.name.localeCompare(b.name));
    if (ready.length === 0) throw new DbCopyError('COPY_SCHEMA_CYCLE', `foreign keys form a cycle among ${[...left.keys()].join(', ')}`);
    for (const t of ready) {
      ordered.push(t);
      done.add(t.name);
      left.delete(t.name);
    }
  }
  return ordered;
}

/** One page of rows after `after` in the source's physical order, with the key to continue from. */
async function readPage(h: DatabaseHandle, table: string, after: string | null, limit: number): Promise<{ rows: Row[]; last: string | null }> {
  const db = h.db as Kysely<any>;
  const t = sql.table(table);
  const result =
    h.dialect === 'sqlite'
      ? await sql<Row>`select rowid as "__copy_key", * from ${t} ${after === null ? sql`` : sql`where rowid > ${Number(after)}`} order by rowid limit ${limit}`.execute(db)
      : await sql<Row>`select ctid::text as "__copy_key", * from ${t} ${after === null ? sql`` : sql`where ctid > ${after}::tid`} order by ctid limit ${limit}`.execute(db);
  let last: string | null = null;
  const rows = result.rows.map((r) => {
    const { __copy_key: key, ...rest } = r;
    last = String(key);
    return rest;
  });
  return { rows, last };
}

async function* allRows(h: DatabaseHandle, table: TableInfo, pageRows: number): AsyncGenerator<Row> {
  let after: string | null = null;
  for (;;) {
    const page = await readPage(h, table.name, after, pageRows);
    if (page.rows.length === 0) return;
    yield* page.rows;
    after = page.last;
  }
}

/**
 * Feeds one value's canonical encoding to the hash: its kind, its length where it has one, and its
 * content, so 1 and "1" differ, no value can run into the next, and both dialects agree. Bytes go
 * in as they are (no text copy of a 256 KB chunk).
 */
function hashValue(hash: Hash, v: unknown): void {
  if (v === null || v === undefined) hash.update('N');
  else if (typeof v === 'number') hash.update(`n${Object.is(v, -0) ? 0 : v};`);
  else if (typeof v === 'bigint') hash.update(`n${v};`);
  else if (typeof v === 'boolean') hash.update(`n${v ? 1 : 0};`);
  else if (typeof v === 'string') hash.update(`s${Buffer.byteLength(v)}:`).update(v);
  else if (v instanceof Uint8Array) hash.update(`b${v.byteLength}:`).update(v);
  else throw new DbCopyError('COPY_UNKNOWN_VALUE', `a column holds a value of an unexpected kind (${Object.prototype.toString.call(v)})`);
}

const MOD = 1n << 256n;

/** Rows and the order-independent checksum of one table's contents. */
export async function tableChecksum(h: DatabaseHandle, table: TableInfo, pageRows = 500): Promise<{ rows: number; checksum: string }> {
  let sum = 0n;
  let rows = 0;
  for await (const row of allRows(h, table, table.hasBlobs ? Math.max(1, Math.floor(pageRows / 20)) : pageRows)) {
    const hash = createHash('sha256');
    for (const col of table.columns) hashValue(hash.update(`${col}=`), row[col]);
    sum = (sum + BigInt(`0x${hash.digest('hex')}`)) % MOD;
    rows++;
  }
  return { rows, checksum: sum.toString(16).padStart(64, '0') };
}

/** Compares both databases table by table; the schema must be the same. */
export async function verifyCopy(source: DatabaseHandle, target: DatabaseHandle, pageRows = 500): Promise<TableCheck[]> {
  return compareTables(source, target, await sameTables(source, target), pageRows);
}

async function compareTables(source: DatabaseHandle, target: DatabaseHandle, tables: TableInfo[], pageRows: number): Promise<TableCheck[]> {
  const checks: TableCheck[] = [];
  for (const t of tables) {
    // One side after the other: half the rows in memory at a time.
    const s = await tableChecksum(source, t, pageRows);
    const d = await tableChecksum(target, t, pageRows);
    checks.push({ table: t.name, sourceRows: s.rows, targetRows: d.rows, sourceChecksum: s.checksum, targetChecksum: d.checksum, equal: s.rows === d.rows && s.checksum === d.checksum });
  }
  return checks;
}

async function sameTables(source: DatabaseHandle, target: DatabaseHandle): Promise<TableInfo[]> {
  const [s, t] = await Promise.all([listTables(source), listTables(target)]);
  const describe = (list: TableInfo[]) => list.map((x) => `${x.name}(${x.columns.join(',')})`).sort();
  const a = describe(s);
  const b = new Set(describe(t));
  const differ = a.filter((x) => !b.has(x)).concat([...b].filter((x) => !a.includes(x)));
  if (differ.length > 0) throw new DbCopyError('COPY_SCHEMA_MISMATCH', `the two databases' tables differ: ${differ.slice(0, 5).join('; ')}`);
  return s;
}

/** Refuses a database that a serve or worker is using: the copy needs both sides idle. */
export async function assertIdle(h: DatabaseHandle, side: 'source' | 'target', now = Date.now()): Promise<void> {
  const tables = await h.db.introspection.getTables();
  if (!tables.some((t) => t.name === 'workers')) return;
  const live = await (h.db as Kysely<any>).selectFrom('workers').select(['hostname', 'pid']).where('heartbeat_at', '>', now - LIVE_WORKER_MS).execute();
  if (live.length > 0) {
    const who = live.map((w: { hostname: string; pid: number }) => `${w.hostname} pid ${w.pid}`).join(', ');
    throw new DbCopyError('COPY_DATABASE_IN_USE', `the ${side} database is in use by running mailhelper processes (${who}); stop every serve and worker first`);
  }
}

/** The first table that holds a row, or null. */
async function tableWithRows(h: DatabaseHandle, tables: TableInfo[]): Promise<string | null> {
  for (const t of tables) {
    const row = await (h.db as Kysely<any>).selectFrom(t.name).select(sql`1`.as('one')).limit(1).executeTakeFirst();
    if (row) return t.name;
  }
  return null;
}

interface Progress {
  last: string | null;
  rows: number;
  done: boolean;
}

async function readProgress(target: DatabaseHandle): Promise<Map<string, Progress> | null> {
  const tables = await target.db.introspection.getTables();
  if (!tables.some((t) => t.name === PROGRESS_TABLE)) return null;
  const rows = (await (target.db as Kysely<any>).selectFrom(PROGRESS_TABLE).selectAll().execute()) as {
    tbl: string;
    last_key: string | null;
    copied: number | string;
    done: number | string;
  }[];
  return new Map(rows.map((r) => [r.tbl, { last: r.last_key, rows: Number(r.copied), done: Number(r.done) === 1 }]));
}

async function saveProgress(ex: Kysely<any>, table: string, p: Progress): Promise<void> {
  await ex
    .insertInto(PROGRESS_TABLE)
    .values({ tbl: table, last_key: p.last, copied: p.rows, done: p.done ? 1 : 0 })
    .onConflict((oc) => oc.column('tbl').doUpdateSet({ last_key: p.last, copied: p.rows, done: p.done ? 1 : 0 }))
    .execute();
}

/**
 * Copies every row of `source` into `target` (an empty database, migrated here if it has no
 * schema yet), then verifies both. Throws DbCopyError with a code for anything that makes the copy
 * unsafe; a failed verification is reported in the result (`equal: false`), not thrown.
 */
export async function copyDatabase(source: DatabaseHandle, target: DatabaseHandle, options: CopyOptions = {}): Promise<CopyResult> {
  const now = options.now ?? Date.now;
  const pageRows = options.pageRows ?? 500;
  const blobPageRows = options.blobPageRows ?? 16;

  const status = await migrationStatus(source.db, source.dialect);
  if (status.applied.length === 0) throw new DbCopyError('COPY_SOURCE_EMPTY', 'the source database has no mailhelper schema');
  await assertSchemaCurrent(source.db, source.dialect);
  await assertIdle(source, 'source', now());
  await assertIdle(target, 'target', now());
  await migrateUp(target.db, target.dialect);
  const tables = await sameTables(source, target);

  let progress = await readProgress(target);
  if (options.resume) {
    if (!progress) throw new DbCopyError('COPY_NOTHING_TO_RESUME', 'the target holds no interrupted copy to resume; run without --resume into an empty database');
  } else {
    if (progress) throw new DbCopyError('COPY_INTERRUPTED', 'the target holds an interrupted copy; run again with --resume to finish it');
    const busy = await tableWithRows(target, tables);
    if (busy) throw new DbCopyError('COPY_TARGET_NOT_EMPTY', `the target database is not empty (table ${busy} has rows); copy into a new, empty database`);
    await sql`create table ${sql.table(PROGRESS_TABLE)} (tbl text primary key, last_key text, copied bigint not null, done integer not null)`.execute(target.db);
    progress = new Map();
  }

  const targetDb = target.db as Kysely<any>;
  let copiedRows = 0;
  for (const t of tables) {
    const p = progress.get(t.name) ?? { last: null, rows: 0, done: false };
    if (p.done) continue;
    for (;;) {
      const page = await readPage(source, t.name, p.last, t.hasBlobs ? blobPageRows : pageRows);
      if (page.rows.length === 0) break;
      p.last = page.last;
      p.rows += page.rows.length;
      await targetDb.transaction().execute(async (trx) => {
        await trx.insertInto(t.name).values(page.rows).execute();
        await saveProgress(trx, t.name, p);
      });
      copiedRows += page.rows.length;
      options.onPage?.(t.name, p.rows);
    }
    p.done = true;
    await saveProgress(targetDb, t.name, p);
  }

  const checks = await compareTables(source, target, tables, pageRows);
  if (checks.every((c) => c.equal)) await sql`drop table ${sql.table(PROGRESS_TABLE)}`.execute(target.db);
  return { tables: checks, copiedRows };
}
