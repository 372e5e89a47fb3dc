import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../../src/db/checkpointer.js';
import { createDatabase, openSqlite, type DatabaseHandle } from '../../../src/db/database.js';
import type { CheckpointerOptions } from '../../../src/db/checkpointer.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-checkpoint-'));
  dirs.push(dir);
  return path.join(dir, 'mailhelper.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function open(file: string, backgroundCheckpoints?: CheckpointerOptions): DatabaseHandle {
  return createDatabase({ url: `sqlite:${file}`, dialect: 'sqlite', sqlitePath: file, poolSize: 1, ...(backgroundCheckpoints ? { backgroundCheckpoints } : {}) });
}

const CHUNK = 512 * 1024;
const TRANSACTIONS = 48; // 24 MB: past the 1,000 pages (16 MB) at which a COMMIT checkpoints by itself

/** 24 MB of chunk-like blobs, one per transaction, through Kysely as the sync writes them. */
async function writeChunks(h: DatabaseHandle): Promise<void> {
  await sql`create table chunks (id integer primary key, data blob not null)`.execute(h.db);
  for (let i = 0; i < TRANSACTIONS; i++) {
    await h.db.transaction().execute((trx) => sql`insert into chunks (data) values (${Buffer.alloc(CHUNK, i)})`.execute(trx));
  }
}

/** Rows of `chunks` in the database file alone, without its WAL: what checkpoints have copied there. */
function rowsInDatabaseFile(file: string): number {
  const copy = `${file}.copy`;
  fs.copyFileSync(file, copy);
  const conn = new SQLite(copy);
  try {
    const table = conn.prepare("select count(*) from sqlite_master where name = 'chunks'").pluck().get() as number;
    return table === 0 ? 0 : (conn.prepare('select count(*) from chunks').pluck().get() as number);
  } finally {
    conn.close();
    for (const f of [copy, `${copy}-wal`, `${copy}-shm`]) fs.rmSync(f, { force: true });
  }
}

describe('SQLite checkpoints on a worker thread', () => {
  it('a COMMIT no longer copies the WAL into the database file; the worker does, shortly after', async () => {
    // Control: SQLite's automatic checkpoint runs inside one of these COMMITs.
    const plainFile = tempFile();
    const plain = open(plainFile);
    await writeChunks(plain);
    expect(rowsInDatabaseFile(plainFile)).toBeGreaterThan(0);
    await plain.close();

    // With a checkpoint delay far longer than the writes, nothing reaches the file from the writer.
    const idleFile = tempFile();
    const idle = open(idleFile, { delayMs: 60_000 });
    await writeChunks(idle);
    expect(rowsInDatabaseFile(idleFile)).toBe(0);
    expect(fs.statSync(`${idleFile}-wal`).size).toBeGreaterThan(TRANSACTIONS * CHUNK);
    await idle.close();

    // With a short delay the worker copies every committed row into the file.
    const file = tempFile();
    let checkpoints = 0;
    const h = open(file, { delayMs: 10, onCheckpoint: () => void checkpoints++ });
    await writeChunks(h);
    const after = checkpoints;
    // A checkpoint that was running during the last commits copies what was committed when it began;
    // the one those commits scheduled copies the rest. Only the worker can: automatic checkpoints are off.
    const deadline = Date.now() + 10_000;
    while ((checkpoints === after || rowsInDatabaseFile(file) < TRANSACTIONS) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(checkpoints).toBeGreaterThan(after);
    expect(rowsInDatabaseFile(file)).toBe(TRANSACTIONS);
    await h.close();
  });

  it('closing leaves the data in the database file and no WAL behind', async () => {
    const file = tempFile();
    const h = open(file, { delayMs: 60_000 });
    await writeChunks(h);
    await h.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(rowsInDatabaseFile(file)).toBe(TRANSACTIONS);
  });

  it('a worker that cannot open the database hands the checkpoints back to COMMIT and says so', async () => {
    const file = tempFile();
    const conn = openSqlite(file);
    let failed: (err: Error) => void = () => {};
    const error = new Promise<Error>((resolve) => (failed = resolve));
    const checkpointer = startCheckpointer(conn, path.join(path.dirname(file), 'missing.db'), { onError: (err) => failed(err) });
    try {
      expect(conn.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      expect((await error).message).toBe('the checkpoint worker failed: SQLITE_CANTOPEN');
      expect(conn.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    } finally {
      await checkpointer.close();
      conn.close();
    }
  });
});
