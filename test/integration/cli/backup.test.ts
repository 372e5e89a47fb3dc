import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { acquireInstanceLock } from '../../../src/db/instance-lock.js';
import { buildTestApp } from '../../support/app.js';
import { runCli } from '../../support/cli.js';
import { openSqliteFile, syncAnalysedMailbox, userView, type UserView } from '../../support/synced-mailbox.js';
import { describeWithDovecot } from '../../support/testbed.js';

/**
 * `mailhelper backup` while the instance is locked and written to (as under a running serve), and
 * `mailhelper restore` of it: the user sees the same mail afterwards; the refusals keep a restore
 * from losing anything.
 */
describeWithDovecot('backup and restore', 'full', (bed) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-backup-'));
  const dataDir = path.join(dir, 'data');
  const dbFile = path.join(dataDir, 'mailhelper.db');
  const backupFile = path.join(dir, 'backups', 'mh-1.db');
  let before: UserView;

  beforeAll(async () => {
    fs.mkdirSync(dataDir);
    const db = openSqliteFile(dbFile);
    try {
      before = await syncAnalysedMailbox(db, bed.server, { name: 'backup', seed: 91, count: 30 });
    } finally {
      await db.close();
    }
    expect(before.length).toBeGreaterThanOrEqual(20);
  }, 120_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('backs up while the instance is locked and being written to, and restores what the user saw', async () => {
    // As under a running serve: the instance lock is held and another connection keeps writing.
    const lock = acquireInstanceLock(dataDir);
    const writer = openSqliteFile(dbFile);
    let writes = 0;
    let writing = true;
    const load = (async () => {
      while (writing) {
        await sql`insert into rate_limits (key, window_start, hits) values (${`k${writes}`}, ${Date.now()}, 1)`.execute(writer.db);
        writes++;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    let backup: Awaited<ReturnType<typeof runCli>>;
    try {
      backup = await runCli(['backup', '--to', backupFile], { DATA_DIR: dataDir });
    } finally {
      writing = false;
      await load;
      await writer.close();
    }
    expect(backup.code, backup.stderr).toBe(0);
    expect(writes).toBeGreaterThan(0);
    expect(backup.stdout).toMatch(new RegExp(`backup written to .*mh-1\\.db: 1 users, ${before.length} messages, schema \\d+ migrations, [\\d.]+ MB, integrity ok`));
    expect(backup.stdout).toMatch(/the master key is not in the backup/);

    // A restore while the instance runs is refused, and nothing changes.
    const refused = await runCli(['restore', '--from', backupFile], { DATA_DIR: dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/another mailhelper serve is already running/);
    lock.release();

    // Something goes wrong with the live database: every message row is gone.
    const damaged = openSqliteFile(dbFile);
    await sql`delete from message_tags`.execute(damaged.db);
    await sql`delete from messages`.execute(damaged.db).catch(async () => {
      await sql`pragma foreign_keys = off`.execute(damaged.db);
      await sql`delete from messages`.execute(damaged.db);
    });
    await damaged.close();

    const restored = await runCli(['restore', '--from', backupFile], { DATA_DIR: dataDir });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(new RegExp(`restored .*: 1 users, ${before.length} messages`));
    const kept = /kept as (.+)$/m.exec(restored.stdout)?.[1];
    expect(kept && fs.existsSync(kept)).toBe(true);

    const db = openSqliteFile(dbFile);
    try {
      const built = await buildTestApp(db);
      try {
        expect(await userView(built.app)).toEqual(before);
      } finally {
        await built.app.close();
      }
    } finally {
      await db.close();
    }
  }, 120_000);

  it('refuses to overwrite a backup, to restore what is not a mailhelper backup, or one from a newer version', async () => {
    const exists = await runCli(['backup', '--to', backupFile], { DATA_DIR: dataDir });
    expect(exists.code).toBe(1);
    expect(exists.stderr).toMatch(/already exists/);

    const garbage = path.join(dir, 'garbage.db');
    fs.writeFileSync(garbage, 'this is not a database, but it is long enough to look like one? no.'.repeat(100));
    const notDb = await runCli(['restore', '--from', garbage], { DATA_DIR: dataDir });
    expect(notDb.code).toBe(1);
    expect(notDb.stderr).toMatch(/not a SQLite database|cannot be opened/);

    const newer = path.join(dir, 'newer.db');
    fs.copyFileSync(backupFile, newer);
    const n = openSqliteFile(newer);
    await sql`insert into schema_migrations (name, timestamp) values ('9999-from-the-future', ${new Date().toISOString()})`.execute(n.db);
    await n.close();
    const tooNew = await runCli(['restore', '--from', newer], { DATA_DIR: dataDir });
    expect(tooNew.code).toBe(1);
    expect(tooNew.stderr).toMatch(/made by a newer mailhelper \(migrations 9999-from-the-future\)/);

    // None of it touched the database in place.
    const db = openSqliteFile(dbFile);
    try {
      expect(Number((await sql<{ n: number }>`select count(*) as n from messages`.execute(db.db)).rows[0]!.n)).toBe(before.length);
    } finally {
      await db.close();
    }

    const pg = await runCli(['backup', '--to', path.join(dir, 'pg.db')], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    expect(pg.code).toBe(2);
    expect(pg.stderr).toMatch(/pg_dump/);
  });
});
