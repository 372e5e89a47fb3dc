import { beforeEach, expect, it } from 'vitest';
import { threadKeysSyncRuns } from '../../../src/db/migrations/0013-thread-keys-sync-runs.js';
import { prepareBatch } from '../../../src/services/sync/message-prepare.js';
import { storeBatch } from '../../../src/services/sync/message-store.js';
import { describeEachDialect } from '../../support/db.js';
import { createStoreFixture, type StoreFixture } from '../../support/mail-store.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);

interface Mail {
  id: string;
  from: string;
  to: string;
  subject: string;
  day: number;
  inReplyTo?: string;
  references?: string[];
}

function source(m: Mail): Buffer {
  const lines = [
    `Date: ${new Date(T0 + m.day * DAY).toUTCString().replace('GMT', '+0000')}`,
    `From: ${m.from}`,
    `To: ${m.to}`,
    `Subject: ${m.subject}`,
    `Message-ID: <${m.id}>`,
    ...(m.inReplyTo ? [`In-Reply-To: <${m.inReplyTo}>`] : []),
    ...(m.references ? [`References: ${m.references.map((r) => `<${r}>`).join(' ')}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Body of ${m.id}`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

const ME = 'me@example.org';
const BOB = 'bob@example.com';
const ALICE = 'alice@example.net';

describeEachDialect('threads across syncs', (ctx) => {
  let fx: StoreFixture;
  let nextUid = 1;

  beforeEach(async () => {
    fx = await createStoreFixture(ctx.db);
    nextUid = 1;
  });

  /** Stores messages as one sync batch of a folder (each call is a separate run/transaction). */
  async function sync(folder: string, mails: Mail[]): Promise<Map<string, string>> {
    const folderId = await fx.folder(folder);
    const items = mails.map((m) => ({ uid: nextUid++, flags: ['\\Seen'], raw: source(m) }));
    const prepared = await prepareBatch(fx.cipher, { userId: fx.userId, accountId: fx.accountId, folderId, uidvalidity: 1, items });
    const res = await ctx.db.transaction().execute((trx) => storeBatch(trx, prepared));
    return new Map(mails.map((m, i) => [m.id, res.messageIds.get(items[i]!.uid)!]));
  }

  const ids = new Map<string, string>();
  const remember = (m: Map<string, string>) => m.forEach((v, k) => ids.set(k, v));
  const threadOf = async (mailId: string) =>
    (await ctx.db.selectFrom('messages').select('thread_id').where('user_id', '=', fx.userId).where('id', '=', ids.get(mailId)!).executeTakeFirstOrThrow()).thread_id;
  const threadRows = async () => ctx.db.selectFrom('threads').select(['id', 'message_count']).where('user_id', '=', fx.userId).execute();

  it('puts a reply synced in a later run and in another folder (Sent) into the thread of its parent', async () => {
    remember(await sync('INBOX', [{ id: 'a@x', from: BOB, to: ME, subject: 'Angebot', day: 0 }]));
    remember(await sync('Sent', [{ id: 'b@x', from: ME, to: BOB, subject: 'Re: Angebot', day: 1, inReplyTo: 'a@x', references: ['a@x'] }]));
    remember(await sync('INBOX', [{ id: 'c@x', from: BOB, to: ME, subject: 'Re: Angebot', day: 2, inReplyTo: 'b@x', references: ['b@x'] }]));
    const t = await threadOf('a@x');
    expect(t).not.toBeNull();
    expect(await threadOf('b@x')).toBe(t);
    expect(await threadOf('c@x')).toBe(t);
    expect(await threadRows()).toEqual([{ id: t, message_count: 3 }]);
  });

  it('merges threads when a parent arrives after replies that knew it through different references', async () => {
    // Two replies, each knowing only its direct parent: two threads at first.
    remember(await sync('INBOX', [{ id: 'x1@x', from: BOB, to: ME, subject: 'Re: Plan', day: 3, inReplyTo: 'a@x' }]));
    remember(await sync('INBOX', [{ id: 'y1@x', from: ALICE, to: ME, subject: 'Re: Plan', day: 4, inReplyTo: 'b@x' }]));
    expect(await threadOf('x1@x')).not.toBe(await threadOf('y1@x'));
    expect(await threadRows()).toHaveLength(2);
    // b answers a: it links both threads, which merge.
    remember(await sync('Sent', [{ id: 'b@x', from: ME, to: BOB, subject: 'Re: Plan', day: 2, inReplyTo: 'a@x' }]));
    // The root arrives last, in yet another folder.
    remember(await sync('Archive', [{ id: 'a@x', from: BOB, to: ME, subject: 'Plan', day: 1 }]));
    const t = await threadOf('a@x');
    for (const id of ['b@x', 'x1@x', 'y1@x']) expect(await threadOf(id)).toBe(t);
    expect(await threadRows()).toEqual([{ id: t, message_count: 4 }]);
  });

  it('merges threads that grew apart within one batch (messages are written a batch at a time)', async () => {
    remember(
      await sync('INBOX', [
        { id: 'x1@x', from: BOB, to: ME, subject: 'Re: Plan', day: 3, inReplyTo: 'a@x' },
        { id: 'y1@x', from: ALICE, to: ME, subject: 'Re: Plan', day: 4, inReplyTo: 'b@x' },
        { id: 'b@x', from: ME, to: BOB, subject: 'Re: Plan', day: 2, inReplyTo: 'a@x' },
        { id: 'a@x', from: BOB, to: ME, subject: 'Plan', day: 1 },
      ]),
    );
    const t = await threadOf('a@x');
    for (const id of ['b@x', 'x1@x', 'y1@x']) expect(await threadOf(id)).toBe(t);
    expect(await threadRows()).toEqual([{ id: t, message_count: 4 }]);
  });

  it('threads children that arrive in the same batch before their parent', async () => {
    remember(
      await sync('INBOX', [
        { id: 'c@x', from: BOB, to: ME, subject: 'Re: Re: Termin', day: 2, inReplyTo: 'b@x', references: ['a@x', 'b@x'] },
        { id: 'b@x', from: ME, to: BOB, subject: 'Re: Termin', day: 1, inReplyTo: 'a@x', references: ['a@x'] },
        { id: 'a@x', from: BOB, to: ME, subject: 'Termin', day: 0 },
      ]),
    );
    const t = await threadOf('a@x');
    expect(await threadOf('b@x')).toBe(t);
    expect(await threadOf('c@x')).toBe(t);
  });

  it('falls back to the normalised subject when the participants overlap within 30 days', async () => {
    remember(await sync('INBOX', [{ id: 'a@x', from: `Bob <${BOB}>`, to: ME, subject: 'Rechnung  42', day: 0 }]));
    // A reply without In-Reply-To/References, from a client that drops them; prefixes and case differ.
    remember(await sync('Sent', [{ id: 'b@x', from: ME, to: `BOB <${BOB.toUpperCase()}>`, subject: 'AW: WG: rechnung 42', day: 5 }]));
    remember(await sync('INBOX', [{ id: 'c@x', from: BOB, to: ME, subject: 'RE: Rechnung 42', day: 6 }]));
    const t = await threadOf('a@x');
    expect(await threadOf('b@x')).toBe(t);
    expect(await threadOf('c@x')).toBe(t);
  });

  it('counts a participant as active until their latest message in the thread, for the 30-day subject fallback', async () => {
    remember(await sync('INBOX', [{ id: 'a@x', from: BOB, to: ME, subject: 'Projekt Nord', day: 0 }]));
    // Bob writes in the thread again on day 25 (by reference): his activity there now reaches day 25.
    remember(await sync('INBOX', [{ id: 'b@x', from: BOB, to: ME, subject: 'Re: Projekt Nord', day: 25, inReplyTo: 'a@x', references: ['a@x'] }]));
    // Day 50 without references: 50 days after the start, but 25 after Bob's last message there.
    remember(await sync('INBOX', [{ id: 'c@x', from: BOB, to: ME, subject: 'Re: Projekt Nord', day: 50 }]));
    const t = await threadOf('a@x');
    expect(await threadOf('b@x')).toBe(t);
    expect(await threadOf('c@x')).toBe(t);
  });

  it('joins by subject a thread started earlier in the same batch, and counts every message of a batch in its thread', async () => {
    remember(
      await sync('INBOX', [
        { id: 'a@x', from: BOB, to: ME, subject: 'Lieferung', day: 0 },
        { id: 'b@x', from: ME, to: BOB, subject: 'Re: Lieferung', day: 1 },
        { id: 'c@x', from: BOB, to: ME, subject: 'Re: Lieferung', day: 2, inReplyTo: 'b@x', references: ['b@x'] },
      ]),
    );
    const t = await threadOf('a@x');
    expect(await threadOf('b@x')).toBe(t);
    expect(await threadOf('c@x')).toBe(t);
    expect(await threadRows()).toEqual([{ id: t, message_count: 3 }]);
    // A later batch adds to it: the count and the last date follow.
    remember(await sync('INBOX', [{ id: 'd@x', from: BOB, to: ME, subject: 'Re: Lieferung', day: 3, references: ['a@x'] }, { id: 'e@x', from: ME, to: BOB, subject: 'Re: Lieferung', day: 4, references: ['a@x', 'd@x'] }]));
    expect(await threadRows()).toEqual([{ id: t, message_count: 5 }]);
    const last = await ctx.db.selectFrom('threads').select('last_date').where('id', '=', t!).executeTakeFirstOrThrow();
    expect(Number(last.last_date)).toBe(T0 + 4 * DAY);
  });

  it('writes the thread index of a batch of new conversations in a few statements, not several per message', async () => {
    let statements = 0;
    const counting = ctx.db.withPlugin({
      transformQuery: (args) => {
        const node = args.node as { kind: string; into?: { table: { identifier: { name: string } } }; table?: { table: { identifier: { name: string } } } };
        const name = node.into?.table.identifier.name ?? node.table?.table.identifier.name;
        if (name === 'threads' || name === 'thread_keys') statements++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const folderId = await fx.folder('INBOX');
    const mails = Array.from({ length: 50 }, (_, i) => ({ id: `n${i}@x`, from: `p${i}@example.com`, to: ME, subject: `Thema ${i}`, day: i % 20 }));
    const items = mails.map((m) => ({ uid: nextUid++, flags: [], raw: source(m) }));
    const prepared = await prepareBatch(fx.cipher, { userId: fx.userId, accountId: fx.accountId, folderId, uidvalidity: 1, items });
    await counting.transaction().execute((trx) => storeBatch(trx, prepared));
    expect(await threadRows()).toHaveLength(50);
    // Inserts of threads and keys (multi-row) and no look-up per message: a handful in all.
    expect(statements).toBeLessThanOrEqual(5);
  });

  it('does not join by subject without participant overlap, or more than 30 days apart', async () => {
    remember(await sync('INBOX', [{ id: 'a@x', from: BOB, to: ME, subject: 'Rechnung 42', day: 0 }]));
    // My message to Alice with that subject: I (the sender) took part in Bob's thread, Alice did not.
    remember(await sync('Sent', [{ id: 'c@x', from: ME, to: ALICE, subject: 'Re: Rechnung 42', day: 2 }]));
    // Alice with that subject: she never took part in Bob's thread, although "me" is in both.
    remember(await sync('INBOX', [{ id: 'b@x', from: ALICE, to: ME, subject: 'Re: Rechnung 42', day: 3 }]));
    // Bob again, but 45 days later.
    remember(await sync('INBOX', [{ id: 'd@x', from: BOB, to: ME, subject: 'Re: Rechnung 42', day: 45 }]));
    // A message that is not a reply never joins by subject.
    remember(await sync('INBOX', [{ id: 'e@x', from: BOB, to: ME, subject: 'Rechnung 42', day: 1 }]));
    const a = await threadOf('a@x');
    expect(await threadOf('c@x')).not.toBe(a);
    expect(await threadOf('b@x')).not.toBe(a);
    expect(await threadOf('d@x')).not.toBe(a);
    expect(await threadOf('e@x')).not.toBe(a);
    // Alice's answer joins my message to her: both of its sides took part there.
    expect(await threadOf('b@x')).toBe(await threadOf('c@x'));
  });

  it('migration 0013 seeds the index of threads stored before it, so later replies still find them', async () => {
    remember(await sync('INBOX', [{ id: 'old-a@x', from: BOB, to: ME, subject: 'Alt', day: 0 }]));
    remember(await sync('INBOX', [{ id: 'old-b@x', from: ME, to: BOB, subject: 'Re: Alt', day: 1, inReplyTo: 'old-a@x' }]));
    const t = await threadOf('old-a@x');
    // As if the store had been written before 0013: the index is rebuilt from the stored hashes only.
    await threadKeysSyncRuns.down(ctx.db as never, ctx.dialect);
    await threadKeysSyncRuns.up(ctx.db as never, ctx.dialect);
    const refs = await ctx.db.selectFrom('thread_keys').select('kind').where('user_id', '=', fx.userId).where('thread_id', '=', t!).execute();
    expect(refs.map((r) => r.kind)).toEqual(['ref', 'ref']);
    remember(await sync('INBOX', [{ id: 'old-c@x', from: BOB, to: ME, subject: 'Re: Alt', day: 2, inReplyTo: 'old-b@x' }]));
    expect(await threadOf('old-c@x')).toBe(t);
  });

  it('keeps no plaintext Message-IDs, subjects or addresses in the thread index', async () => {
    remember(await sync('INBOX', [{ id: 'plain-id@x', from: BOB, to: ME, subject: 'Geheim', day: 0 }]));
    const rows = await ctx.db.selectFrom('thread_keys').select(['kind', 'key_hash']).where('user_id', '=', fx.userId).execute();
    expect(rows.map((r) => r.kind).sort()).toEqual(['addr', 'addr', 'ref']);
    for (const r of rows) {
      const text = Buffer.from(r.key_hash).toString('latin1');
      for (const needle of ['plain-id', 'bob@', 'me@', 'Geheim']) expect(text).not.toContain(needle);
    }
  });
});
