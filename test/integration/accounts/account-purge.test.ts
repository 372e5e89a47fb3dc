import type { Kysely } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import type { Config } from '../../../src/config/index.js';
import { newId } from '../../../src/db/ids.js';
import type { Database } from '../../../src/db/schema.js';
import { writeMessageAddresses } from '../../../src/repositories/message-addresses.js';
import { insertOp } from '../../../src/repositories/pending-operations.js';
import { recordSyncRun } from '../../../src/repositories/sync-runs.js';
import { createAccountsService } from '../../../src/services/accounts.js';
import { prepareBatch, type IncomingCopy } from '../../../src/services/sync/message-prepare.js';
import { storeBatch } from '../../../src/services/sync/message-store.js';
import { describeEachDialect } from '../../support/db.js';
import { createStoreFixture, insertAccount, insertFolder, type StoreFixture } from '../../support/mail-store.js';

function rfc822(o: { id: string; subject: string; day: number; inReplyTo?: string }): Buffer {
  const date = `Tue, ${String(o.day).padStart(2, '0')} Jan 2024 09:00:00 +0000`;
  return Buffer.from(
    [
      'From: Anna Beispiel <anna@example.org>',
      'To: me@example.net',
      `Subject: ${o.subject}`,
      `Date: ${date}`,
      `Message-ID: <${o.id}>`,
      ...(o.inReplyTo ? [`In-Reply-To: <${o.inReplyTo}>`, `References: <${o.inReplyTo}>`] : []),
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Body of ${o.id}`,
      '',
    ].join('\r\n'),
  );
}

/**
 * Rows that still point at something gone, found from the schema itself so a future table is
 * checked too: any `account_id` equal to the removed account, any `message_id` / `thread_id` /
 * `folder_id` naming a row that no longer exists, and threads whose count disagrees with their messages.
 */
async function orphans(db: Kysely<Database>, accountId: string): Promise<string[]> {
  const anyDb = db as Kysely<any>;
  const parents: Record<string, string> = { message_id: 'messages', thread_id: 'threads', folder_id: 'folders', account_id: 'accounts' };
  const found: string[] = [];
  const tables = await db.introspection.getTables();
  for (const table of tables) {
    for (const column of table.columns) {
      const parent = parents[column.name];
      if (!parent || table.name === parent) continue;
      if (column.name === 'account_id') {
        const row = await anyDb.selectFrom(table.name).select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
        if (Number(row.n) > 0) found.push(`${table.name}.account_id: ${row.n} row(s) of the removed account`);
      }
      const dangling = await anyDb
        .selectFrom(`${table.name} as c`)
        .select((eb) => eb.fn.countAll().as('n'))
        .where(`c.${column.name}`, 'is not', null)
        .where((eb) => eb.not(eb.exists(eb.selectFrom(`${parent} as p`).select('p.id').whereRef('p.id', '=', `c.${column.name}`))))
        .executeTakeFirstOrThrow();
      if (Number(dangling.n) > 0) found.push(`${table.name}.${column.name}: ${dangling.n} row(s) pointing at a missing ${parent} row`);
    }
  }
  const threads = await anyDb
    .selectFrom('threads as t')
    .select(['t.id', 't.message_count', (eb) => eb.selectFrom('messages as m').select((e) => e.fn.countAll().as('n')).whereRef('m.thread_id', '=', 't.id').as('actual')])
    .execute();
  for (const t of threads) if (Number(t.actual) !== Number(t.message_count)) found.push(`thread ${t.id}: count ${t.message_count}, has ${t.actual} message(s)`);
  return found;
}

describeEachDialect('removing an account: threads, keys and per-account rows', (ctx) => {
  let fx: StoreFixture;
  let other: string;
  let keptFolder: string;
  let goneFolder: string;

  const put = async (accountId: string, folderId: string, items: IncomingCopy[]) => {
    const prepared = await prepareBatch(fx.cipher, { userId: fx.userId, accountId, folderId, uidvalidity: 1, items });
    return ctx.db.transaction().execute((trx) => storeBatch(trx, prepared, Date.now()));
  };
  const threadOf = async (messageId: string) =>
    (await ctx.db.selectFrom('messages').select('thread_id').where('id', '=', messageId).executeTakeFirstOrThrow()).thread_id!;

  beforeAll(async () => {
    fx = await createStoreFixture(ctx.db);
    keptFolder = await fx.folder('INBOX');
    other = await insertAccount(ctx.db, fx.cipher);
    goneFolder = await insertFolder(ctx.db, fx.cipher, other, 'INBOX');
  });

  it('keeps the other account’s share of a thread with the right count, drops threads only the removed account had, leaves no orphans', async () => {
    const kept = await put(fx.accountId, keptFolder, [
      { uid: 1, flags: [], raw: rfc822({ id: 'root@p', subject: 'Plan', day: 2 }) },
      { uid: 2, flags: [], raw: rfc822({ id: 'solo-a@p', subject: 'Only here', day: 3 }) },
    ]);
    const gone = await put(other, goneFolder, [
      { uid: 1, flags: [], raw: rfc822({ id: 'reply@p', subject: 'Re: Plan', day: 9, inReplyTo: 'root@p' }) },
      { uid: 2, flags: [], raw: rfc822({ id: 'solo-b@p', subject: 'Elsewhere', day: 4 }) },
      { uid: 3, flags: [], raw: rfc822({ id: 'solo-b2@p', subject: 'Re: Elsewhere', day: 5, inReplyTo: 'solo-b@p' }) },
    ]);
    const shared = await threadOf(kept.messageIds.get(1)!);
    expect(await threadOf(gone.messageIds.get(1)!)).toBe(shared);
    const onlyGone = await threadOf(gone.messageIds.get(2)!);
    expect(await threadOf(gone.messageIds.get(3)!)).toBe(onlyGone);
    const before = await ctx.db.selectFrom('threads').select(['message_count', 'last_date']).where('id', '=', shared).executeTakeFirstOrThrow();
    expect(before.message_count).toBe(2);

    // Rows that hang off the removed account besides its messages.
    const goneMessage = gone.messageIds.get(2)!;
    const copy = await ctx.db.selectFrom('message_copies').selectAll().where('message_id', '=', goneMessage).executeTakeFirstOrThrow();
    const now = Date.now();
    await insertOp(ctx.db, {
      id: newId(),
      user_id: fx.userId,
      account_id: other,
      message_id: goneMessage,
      copy_id: copy.id,
      kind: 'seen',
      state: 'pending',
      want_set: 1,
      orig_set: 0,
      target_folder_id: null,
      orig_folder_id: goneFolder,
      orig_uidvalidity: 1,
      orig_uid: 2,
      orig_flags: '[]',
      orig_modseq: null,
      orig_internal_date: null,
      orig_size: 10,
      orig_created_at: now,
      error_code: null,
      created_at: now,
      updated_at: now,
    });
    await recordSyncRun(ctx.db, fx.userId, other, { id: newId(), startedAt: now, finishedAt: now, outcome: 'ok', errorCode: null, folders: [] });
    await writeMessageAddresses(ctx.db, fx.userId, goneMessage, [{ role: 'from', address_hash: Buffer.alloc(32, 1) }]);
    const keysBefore = await ctx.db.selectFrom('thread_keys').select('thread_id').where('thread_id', '=', onlyGone).execute();
    expect(keysBefore.length).toBeGreaterThan(0);

    // A batch of 2 makes the purge cross batches, with a thread split between them.
    const config = { allowPrivateMailHosts: true, mail: { insecureHosts: [] } } as unknown as Pick<Config, 'allowPrivateMailHosts' | 'mail'>;
    const accounts = createAccountsService({ db: ctx.db, config, crypto: fx.crypto, throttle: { hit: async () => {} }, jobs: null, options: { purgeBatch: 2 } });
    try {
      await accounts.remove(fx.userId, other);
    } finally {
      await accounts.close();
    }

    const after = await ctx.db.selectFrom('threads').select(['message_count', 'last_date']).where('id', '=', shared).executeTakeFirst();
    expect(after?.message_count).toBe(1);
    expect(Number(after?.last_date)).toBeLessThan(Number(before.last_date)); // the reply (day 9) is gone, the root (day 2) is the last
    expect(await ctx.db.selectFrom('threads').select('id').where('id', '=', onlyGone).execute()).toEqual([]);
    expect(await ctx.db.selectFrom('thread_keys').select('thread_id').where('thread_id', '=', onlyGone).execute()).toEqual([]);
    const solo = await threadOf(kept.messageIds.get(2)!);
    expect((await ctx.db.selectFrom('threads').select('message_count').where('id', '=', solo).executeTakeFirstOrThrow()).message_count).toBe(1);
    expect(await orphans(ctx.db, other)).toEqual([]);
    expect(await ctx.db.selectFrom('accounts').select('id').where('id', '=', other).execute()).toEqual([]);
  });
});
