import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { copyDatabase, verifyCopy, type TableCheck } from '../../../src/db/copy.js';
import { migrateUp } from '../../../src/db/migrate.js';
import { insertJob } from '../../../src/jobs/embedded/job-repository.js';
import { createTestCrypto, insertTestUser } from '../../support/crypto.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { serviceMissing } from '../../support/services.js';

/**
 * The copy engine in-process (the `db copy` command's own test runs it on a synced mailbox through
 * the CLI): rows of every kind of value — text, numbers, nulls, sealed blobs — both directions, an
 * interruption resumed, a difference found, and every refusal with its code.
 */
const template = inject('pgTemplate');
const state = 'error' in template ? serviceMissing(template.error) : 'ok';

const allEqual = (checks: TableCheck[]) => checks.filter((c) => !c.equal).map((c) => c.table);
const count = async (h: TestDatabase, table: string) => Number((await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(h.db)).rows[0]!.n);

describe.skipIf(state === 'skip')('db copy engine [sqlite ⇄ postgres]', () => {
  const open: TestDatabase[] = [];
  let source: TestDatabase;
  const fresh = async (dialect: 'sqlite' | 'postgres', empty = true) => {
    const h = await createTestDatabase(dialect, { empty });
    open.push(h);
    return h;
  };

  beforeAll(async () => {
    if (state === 'fail') throw new Error((template as { error: string }).error);
    source = await fresh('sqlite', false);
    const crypto = createTestCrypto(source.db);
    for (let i = 0; i < 12; i++) {
      const userId = await insertTestUser(source.db);
      await crypto.ensureUserKey(userId);
      await insertJob(source.db, { type: 'jobs.prune-history', payload: { n: i }, payloadVersion: 1, userId: i % 3 ? userId : null, lane: 'bulk', key: i % 2 ? `k-${i}` : null, maxAttempts: 3, runAt: 1_700_000_000_000 + i }, 1_700_000_000_000);
    }
    await sql`insert into rate_limits (key, window_start, hits) values ('ip:203.0.113.9', 1700000000123, 7)`.execute(source.db);
  });
  afterAll(async () => {
    for (const h of open) await h.close();
  });

  it('copies every row to PostgreSQL and back, and the checksums find a changed value', async () => {
    const pg = await fresh('postgres');
    const pages: string[] = [];
    const there = await copyDatabase(source, pg, { pageRows: 5, blobPageRows: 2, onPage: (t) => pages.push(t) });
    expect(allEqual(there.tables)).toEqual([]);
    expect(there.copiedRows).toBe(12 + 12 + 12 + 12 + 1); // users, user_keys, user_key_wraps, jobs, rate_limits
    expect(await count(pg, 'jobs')).toBe(12);
    // Parents first: users before the tables that point at them.
    expect(pages.indexOf('users')).toBeLessThan(pages.indexOf('user_keys'));
    expect(pages.filter((t) => t === 'jobs')).toHaveLength(3); // 12 rows in pages of 5

    const back = await fresh('sqlite');
    expect(allEqual((await copyDatabase(pg, back)).tables)).toEqual([]);
    expect(allEqual(await verifyCopy(source, back))).toEqual([]);

    await sql`update rate_limits set hits = 8`.execute(back.db);
    const checks = await verifyCopy(source, back);
    expect(allEqual(checks)).toEqual(['rate_limits']);
    expect(checks.find((c) => c.table === 'rate_limits')).toMatchObject({ sourceRows: 1, targetRows: 1, equal: false });
  });

  it('resumes after an interruption without writing a row twice, and says what it refuses', async () => {
    const pg = await fresh('postgres');
    let pagesLeft = 4;
    const stop = new Error('power cut');
    await expect(copyDatabase(source, pg, { pageRows: 3, blobPageRows: 1, onPage: () => { if (--pagesLeft === 0) throw stop; } })).rejects.toBe(stop);
    await expect(copyDatabase(source, pg)).rejects.toMatchObject({ code: 'COPY_INTERRUPTED' });
    const resumed = await copyDatabase(source, pg, { resume: true, pageRows: 3 });
    expect(allEqual(resumed.tables)).toEqual([]);
    expect(resumed.copiedRows).toBeLessThan(49);
    expect(await pg.db.introspection.getTables().then((ts) => ts.map((t) => t.name))).not.toContain('mailhelper_copy_progress');

    await expect(copyDatabase(source, pg)).rejects.toMatchObject({ code: 'COPY_TARGET_NOT_EMPTY' });
    await expect(copyDatabase(source, pg, { resume: true })).rejects.toMatchObject({ code: 'COPY_NOTHING_TO_RESUME' });
    await expect(copyDatabase(await fresh('sqlite'), await fresh('postgres'))).rejects.toMatchObject({ code: 'COPY_SOURCE_EMPTY' });

    const other = await fresh('postgres');
    await migrateUp(other.db, 'postgres');
    await sql`create table stray (id text primary key)`.execute(other.db);
    await expect(copyDatabase(source, other)).rejects.toMatchObject({ code: 'COPY_SCHEMA_MISMATCH', message: expect.stringContaining('stray(id)') });

    // A live worker on the source: the copy would miss what it writes.
    const now = Date.now();
    await source.db.insertInto('workers').values({ id: 'w-live', hostname: 'box', pid: 4242, version: 't', concurrency: 1, running: 0, started_at: now, heartbeat_at: now }).execute();
    try {
      await expect(copyDatabase(source, await fresh('postgres'))).rejects.toMatchObject({ code: 'COPY_DATABASE_IN_USE', message: expect.stringContaining('box pid 4242') });
    } finally {
      await source.db.deleteFrom('workers').where('id', '=', 'w-live').execute();
    }
  });
});
