import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { backupSqlite, restoreSqlite } from '../../../src/db/backup.js';
import { migrateUp } from '../../../src/db/migrate.js';
import { insertTestUser } from '../../support/crypto.js';
import { openSqliteFile } from '../../support/synced-mailbox.js';

/**
 * Backup and restore of the embedded database in-process (the CLI's test runs them on a synced
 * mailbox while the instance is locked): what a backup holds, where a restore puts the old
 * database, and each refusal with its code.
 */
describe('SQLite backup and restore', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-backup-unit-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const database = async (file: string, users: number) => {
    const h = openSqliteFile(file);
    await migrateUp(h.db, 'sqlite');
    for (let i = 0; i < users; i++) await insertTestUser(h.db);
    return h;
  };
  const usersIn = (file: string) => {
    const conn = new SQLite(file, { readonly: true });
    try {
      return conn.prepare('select count(*) from users').pluck().get() as number;
    } finally {
      conn.close();
    }
  };

  it('writes a checked snapshot of an open database and restores it, keeping the database it replaces', async () => {
    const live = path.join(dir, 'data', 'mailhelper.db');
    const h = await database(live, 3);
    const backup = path.join(dir, 'backups', 'one.db');
    try {
      // Written while a connection holds the database open, with rows still in its WAL.
      const report = backupSqlite(live, backup);
      expect(report).toMatchObject({ file: backup, users: 3, messages: 0 });
      expect(report.migrations).toBeGreaterThanOrEqual(17);
      expect(fs.readdirSync(path.dirname(backup))).toEqual(['one.db']);
      expect(() => backupSqlite(live, backup)).toThrow(expect.objectContaining({ code: 'BACKUP_EXISTS' }));
      expect(() => backupSqlite(path.join(dir, 'none.db'), path.join(dir, 'x.db'))).toThrow(expect.objectContaining({ code: 'BACKUP_NO_DATABASE' }));
      await insertTestUser(h.db);
    } finally {
      await h.close();
    }

    const restored = await restoreSqlite(backup, live, new Date('2026-12-08T01:02:03.004Z'));
    expect(restored).toMatchObject({ file: live, users: 3, previous: `${live}.before-restore-2026-12-08T01-02-03-004Z` });
    expect(usersIn(live)).toBe(3);
    expect(usersIn(restored.previous!)).toBe(4);
    expect(fs.readdirSync(path.dirname(live)).filter((f) => f.includes('restoring'))).toEqual([]);
  });

  it('refuses a missing file, what is not a database, a database that is not mailhelper, and a newer schema', async () => {
    const target = path.join(dir, 'target', 'mailhelper.db');
    await expect(restoreSqlite(path.join(dir, 'missing.db'), target)).rejects.toMatchObject({ code: 'BACKUP_NO_FILE' });

    const garbage = path.join(dir, 'garbage.db');
    fs.writeFileSync(garbage, Buffer.alloc(8192, 0x41));
    await expect(restoreSqlite(garbage, target)).rejects.toMatchObject({ code: 'BACKUP_UNREADABLE' });

    const foreign = path.join(dir, 'foreign.db');
    const conn = new SQLite(foreign);
    conn.exec('create table notes (id integer primary key, body text)');
    conn.close();
    await expect(restoreSqlite(foreign, target)).rejects.toMatchObject({ code: 'BACKUP_NOT_MAILHELPER' });

    const newer = path.join(dir, 'newer.db');
    const h = await database(newer, 1);
    await sql`insert into schema_migrations (name, timestamp) values ('9999-later', '2030-01-01T00:00:00.000Z')`.execute(h.db);
    await h.close();
    await expect(restoreSqlite(newer, target)).rejects.toMatchObject({ code: 'BACKUP_TOO_NEW', message: expect.stringContaining('9999-later') });
    // Nothing was put in place, and no staged copy is left behind.
    expect(fs.readdirSync(path.dirname(target))).toEqual([]);
  });
});
