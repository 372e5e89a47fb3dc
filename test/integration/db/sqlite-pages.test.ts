import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLITE_PAGE_SIZE, openSqlite } from '../../../src/db/database.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-pages-'));
  dirs.push(dir);
  return path.join(dir, 'mailhelper.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** WAL frames a transaction writing `bytes` of sealed-chunk-like blobs appends. */
function walFramesFor(conn: SQLite.Database, bytes: number): number {
  conn.exec('create table if not exists chunks (id integer primary key, data blob not null)');
  conn.pragma('wal_checkpoint(TRUNCATE)');
  const insert = conn.prepare('insert into chunks (data) values (?)');
  conn.transaction(() => {
    for (let left = bytes; left > 0; left -= 256 * 1024) insert.run(Buffer.alloc(Math.min(left, 256 * 1024), 7));
  })();
  const [row] = conn.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
  return row!.log;
}

describe('SQLite page size', () => {
  it('a new database stores chunks in large pages: a fraction of the WAL frames 4 KB pages write', () => {
    const small = new SQLite(tempFile());
    small.pragma('journal_mode = WAL');
    const large = openSqlite(tempFile());
    try {
      expect(large.pragma('page_size', { simple: true })).toBe(SQLITE_PAGE_SIZE);
      const smallFrames = walFramesFor(small, 4 * 1024 * 1024);
      const largeFrames = walFramesFor(large, 4 * 1024 * 1024);
      expect(smallFrames).toBeGreaterThan(1000);
      expect(largeFrames * (SQLITE_PAGE_SIZE / 4096)).toBeLessThan(smallFrames * 1.1);
    } finally {
      small.close();
      large.close();
    }
  });

  it('an existing database with 4 KB pages opens as it is and keeps its data', () => {
    const file = tempFile();
    const old = new SQLite(file);
    old.pragma('page_size = 4096');
    old.pragma('journal_mode = WAL');
    old.exec("create table t (v text); insert into t values ('kept')");
    old.close();
    const conn = openSqlite(file);
    try {
      expect(conn.pragma('page_size', { simple: true })).toBe(4096);
      expect(conn.prepare('select v from t').pluck().get()).toBe('kept');
    } finally {
      conn.close();
    }
  });
});
