import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { acquireInstanceLock } from '../../../src/db/instance-lock.js';
import { buildTestApp } from '../../support/app.js';
import { runCli } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { serviceMissing } from '../../support/services.js';
import { openSqliteFile, syncAnalysedMailbox, userView, type UserView } from '../../support/synced-mailbox.js';
import { describeWithDovecot } from '../../support/testbed.js';

/**
 * `mailhelper db copy` / `db verify` on a real synced and analysed mailbox: SQLite → PostgreSQL and
 * back, interrupted and resumed, and the refusals that keep a copy from going wrong.
 */
describeWithDovecot('db copy', 'full', (bed) => {
  const template = inject('pgTemplate');
  const pgState = 'error' in template ? serviceMissing(template.error) : 'ok';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-copy-'));
  const sourceFile = path.join(dir, 'mailhelper.db');
  const sourceUrl = `sqlite:${sourceFile}`;
  const targets: TestDatabase[] = [];
  let source: TestDatabase;
  let before: UserView;

  const pgTarget = async () => {
    const t = await createTestDatabase('postgres', { empty: true });
    targets.push(t);
    return t;
  };
  const rowCount = async (db: TestDatabase['db'], table: string) =>
    Number((await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]!.n);

  beforeAll(async () => {
    if (pgState === 'fail') throw new Error((template as { error: string }).error);
    if (pgState === 'skip') return;
    source = openSqliteFile(sourceFile);
    before = await syncAnalysedMailbox(source, bed.server, { name: 'copy', seed: 77, count: 40 });
    expect(before.length).toBeGreaterThanOrEqual(30);
  }, 120_000);
  afterAll(async () => {
    for (const t of targets) await t.close();
    await source?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(pgState === 'skip')('copies SQLite into an empty PostgreSQL: every table verified, and the user sees the same mail there', async () => {
    const target = await pgTarget();
    const run = await runCli(['db', 'copy', '--from', sourceUrl, '--to', target.url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/verified: \d+ tables, \d+ rows, every count and checksum equal/);
    for (const table of ['messages', 'message_chunks', 'message_copies', 'attachments', 'users', 'user_key_wraps']) {
      const n = await rowCount(source.db, table);
      expect(n, table).toBeGreaterThan(0);
      expect(await rowCount(target.db, table), table).toBe(n);
      expect(run.stdout).toMatch(new RegExp(`^${table} +${n} rows +[0-9a-f]{16} +equal$`, 'm'));
    }
    // The progress table is gone, and the copy opens with the same key ring: same list, same details, same bytes.
    expect(await target.db.introspection.getTables().then((ts) => ts.map((t) => t.name))).not.toContain('mailhelper_copy_progress');
    const built = await buildTestApp(target);
    try {
      expect(await userView(built.app)).toEqual(before);
    } finally {
      await built.app.close();
    }
    // Copying again into it is refused: the target is not empty.
    const again = await runCli(['db', 'copy', '--from', sourceUrl, '--to', target.url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/target database is not empty/);
  }, 120_000);

  it.skipIf(pgState === 'skip')('an interrupted copy resumes after its last committed page, writing no row twice', async () => {
    const target = await pgTarget();
    const killed = await runCli(['db', 'copy', '--from', sourceUrl, '--to', target.url, '--page-rows', '30'], { MAILHELPER_CRASH_AT: 'after-copy-page#6' });
    expect(killed.code).toBeNull();
    const partial = await rowCount(target.db, 'mailhelper_copy_progress');
    expect(partial).toBeGreaterThan(0);
    const refused = await runCli(['db', 'copy', '--from', sourceUrl, '--to', target.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/interrupted copy; run again with --resume/);
    const resumed = await runCli(['db', 'copy', '--from', sourceUrl, '--to', target.url, '--resume', '--page-rows', '30']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/every count and checksum equal/);
    // message_addresses has no primary key: a page written twice would show as extra rows.
    expect(await rowCount(target.db, 'message_addresses')).toBe(await rowCount(source.db, 'message_addresses'));
  }, 120_000);

  it.skipIf(pgState === 'skip')('copies PostgreSQL back into a new SQLite file; verify names a table that differs', async () => {
    const pg = await pgTarget();
    expect((await runCli(['db', 'copy', '--from', sourceUrl, '--to', pg.url])).code).toBe(0);
    const backFile = path.join(dir, 'back', 'mailhelper.db');
    fs.mkdirSync(path.dirname(backFile));
    const back = await runCli(['db', 'copy', '--from', pg.url, '--to', `sqlite:${backFile}`]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/every count and checksum equal/);

    const verified = await runCli(['db', 'verify', '--from', sourceUrl, '--to', `sqlite:${backFile}`]);
    expect(verified.code, verified.stderr).toBe(0);
    const tamper = openSqliteFile(backFile);
    await sql`update messages set size = size + 1 where id = (select min(id) from messages)`.execute(tamper.db);
    await tamper.close();
    const differs = await runCli(['db', 'verify', '--from', pg.url, '--to', `sqlite:${backFile}`]);
    expect(differs.code).toBe(1);
    expect(differs.stdout).toMatch(/^messages +\d+ rows +[0-9a-f]{16} +DIFFERENT/m);
    expect(differs.stdout).toMatch(/NOT equal: messages$/m);
    expect(differs.stderr).toMatch(/the databases differ/);
  }, 120_000);

  it.skipIf(pgState === 'skip')('refuses a source a serve holds, a missing source file and the same database twice', async () => {
    const target = await pgTarget();
    const lock = acquireInstanceLock(dir);
    try {
      const locked = await runCli(['db', 'copy', '--from', sourceUrl, '--to', target.url]);
      expect(locked.code).toBe(1);
      expect(locked.stderr).toMatch(/another mailhelper serve is already running/);
    } finally {
      lock.release();
    }
    const missing = await runCli(['db', 'copy', '--from', `sqlite:${path.join(dir, 'nope.db')}`, '--to', target.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.db does not exist/);
    const same = await runCli(['db', 'copy', '--from', target.url, '--to', target.url]);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/same database/);
    expect(await rowCount(target.db, 'schema_migrations').catch(() => 0)).toBe(0);
  });
});
