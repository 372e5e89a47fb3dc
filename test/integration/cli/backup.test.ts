import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase } from '../../../src/db/database.js';
import { acquireInstanceLock } from '../../../src/db/instance-lock.js';
import { migrateUp } from '../../../src/db/migrate.js';
import { analysePending } from '../../../src/services/analysis/analyse-pending.js';
import { buildTestApp } from '../../support/app.js';
import { runCli } from '../../support/cli.js';
import type { TestDatabase } from '../../support/db.js';
import { ALICE, TestClient } from '../../support/http-client.js';
import { createTestSync } from '../../support/sync.js';
import { addBedAccount, describeWithDovecot } from '../../support/testbed.js';

const PASSWORD = 'backup-imap-password';

function openDb(file: string): TestDatabase {
  const handle = createDatabase({ url: `sqlite:${file}`, dialect: 'sqlite', sqlitePath: file, poolSize: 1 });
  return { ...handle, url: `sqlite:${file}`, sqlitePath: file };
}

/** What a signed-in user sees: the message list, each message's detail and its source's SHA-256. */
async function userView(app: FastifyInstance): Promise<unknown[]> {
  const client = new TestClient(app, '192.0.2.90');
  await client.login(ALICE.username, ALICE.password);
  const items = (await client.get('/api/messages?limit=200')).json().items as { id: string }[];
  const view: unknown[] = [];
  for (const m of items) {
    const source = (await client.get(`/api/messages/${m.id}/source`)).rawPayload;
    view.push({ detail: (await client.get(`/api/messages/${m.id}`)).json(), sha256: createHash('sha256').update(source).digest('hex') });
  }
  return view;
}

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
  let before: unknown[];

  beforeAll(async () => {
    fs.mkdirSync(dataDir);
    const db = openDb(dbFile);
    await migrateUp(db.db, 'sqlite');
    const user = bed.server.createUser('backup', PASSWORD);
    bed.server.fillGenerated(user, { seed: 91, count: 30 });
    const built = await buildTestApp(db, { ALLOW_PRIVATE_MAIL_HOSTS: '1' });
    const userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
    const alice = new TestClient(built.app, '192.0.2.89');
    await alice.login(ALICE.username, ALICE.password);
    const accountId = await addBedAccount(alice, bed.server, user, PASSWORD, 'Backup bed');
    await createTestSync({ db: db.db, crypto: built.crypto, accounts: built.accounts }).run(userId, accountId);
    await analysePending({ db: db.db, crypto: built.crypto, now: () => Date.parse('2026-06-01T08:00:00Z') }, userId, accountId);
    before = await userView(built.app);
    expect(before.length).toBeGreaterThanOrEqual(20);
    await built.app.close();
    await db.close();
  }, 120_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('backs up while the instance is locked and being written to, and restores what the user saw', async () => {
    // As under a running serve: the instance lock is held and another connection keeps writing.
    const lock = acquireInstanceLock(dataDir);
    const writer = openDb(dbFile);
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
    const damaged = openDb(dbFile);
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

    const db = openDb(dbFile);
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
    const n = openDb(newer);
    await sql`insert into schema_migrations (name, timestamp) values ('9999-from-the-future', ${new Date().toISOString()})`.execute(n.db);
    await n.close();
    const tooNew = await runCli(['restore', '--from', newer], { DATA_DIR: dataDir });
    expect(tooNew.code).toBe(1);
    expect(tooNew.stderr).toMatch(/made by a newer mailhelper \(migrations 9999-from-the-future\)/);

    // None of it touched the database in place.
    const db = openDb(dbFile);
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
