import { beforeAll, expect, it } from 'vitest';
import { setDone } from '../../../src/repositories/messages.js';
import { createMessageReader, type MessageReader } from '../../../src/services/messages/message-reader.js';
import { envelopeHash } from '../../../src/services/sync/message-identity.js';
import { prepareBatch, type IncomingCopy } from '../../../src/services/sync/message-prepare.js';
import { applyFlags, attachByEnvelope, knownUids, purgeExpired, removeCopies, reseedFolder, storeBatch, TOMBSTONE_MS } from '../../../src/services/sync/message-store.js';
import { describeEachDialect } from '../../support/db.js';
import { generateMessages } from '../../support/mail/index.js';
import { countStoreRows, createStoreFixture, type StoreFixture } from '../../support/mail-store.js';

const DAY = 24 * 60 * 60 * 1000;

function rfc822(o: { id: string; subject: string; date?: string; inReplyTo?: string; references?: string[]; body?: string }): Buffer {
  const lines = [
    'From: Anna Beispiel <anna@example.org>',
    'To: me@example.net',
    `Subject: ${o.subject}`,
    `Date: ${o.date ?? 'Tue, 02 Jan 2024 09:00:00 +0000'}`,
    `Message-ID: <${o.id}>`,
    ...(o.inReplyTo ? [`In-Reply-To: <${o.inReplyTo}>`] : []),
    ...(o.references ? [`References: ${o.references.map((r) => `<${r}>`).join(' ')}`] : []),
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body ?? `Body of ${o.id}`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

describeEachDialect('message identity: copies, moves, reseeds, threads, crashes', (ctx) => {
  let fx: StoreFixture;
  let reader: MessageReader;
  let inbox: string;
  let archive: string;
  const sample = [...generateMessages({ seed: 11, count: 14 })];

  const put = async (folderId: string, items: IncomingCopy[], uidvalidity = 1, now = Date.now()) => {
    const prepared = await prepareBatch(fx.cipher, { userId: fx.userId, accountId: fx.accountId, folderId, uidvalidity, items });
    return ctx.db.transaction().execute((trx) => storeBatch(trx, prepared, now));
  };
  const copy = (i: number, uid: number, flags: string[] = []): IncomingCopy => ({ uid, flags, raw: sample[i]!.source, internalDate: sample[i]!.dateMs });
  const count = async () => countStoreRows(ctx.db);

  beforeAll(async () => {
    fx = await createStoreFixture(ctx.db);
    reader = createMessageReader({ db: ctx.db, crypto: fx.crypto });
    inbox = await fx.folder('INBOX');
    archive = await fx.folder('Archive');
  });

  it('a message in two folders is one message with two copies', async () => {
    const a = await put(inbox, [copy(0, 1, ['\\Seen'])]);
    const b = await put(archive, [copy(0, 7)]);
    expect(b).toMatchObject({ created: 0, reattached: 1 });
    const id = a.messageIds.get(1)!;
    expect(b.messageIds.get(7)).toBe(id);
    const msg = await reader.getMessage(fx.userId, id);
    expect(msg.copies.map((c) => c.folderId).sort()).toEqual([inbox, archive].sort());
    expect(msg.unread).toBe(false); // seen in one copy
    const listed = await reader.listMessages(fx.userId, { limit: 50 });
    expect(listed.items.filter((m) => m.id === id)).toHaveLength(1);
  });

  it('the same message twice in one batch (a duplicate delivery) is one message with two copies', async () => {
    const dup = await fx.folder('Duplicates');
    const r = await put(dup, [copy(12, 1), copy(13, 2), copy(12, 3, ['\\Flagged'])]);
    expect(r).toMatchObject({ created: 2, reattached: 1 });
    expect(r.messageIds.get(3)).toBe(r.messageIds.get(1));
    const msg = await reader.getMessage(fx.userId, r.messageIds.get(1)!);
    expect(msg.copies.map((c) => c.uid).sort()).toEqual([1, 3]);
    expect(msg.flagged).toBe(true);
  });

  it('a removed copy that shows up in another folder re-attaches to the same message, done state kept', async () => {
    const first = await put(inbox, [copy(1, 2)]);
    const id = first.messageIds.get(2)!;
    await setDone(ctx.db, fx.userId, id, true, Date.now());
    const removed = await ctx.db.transaction().execute((trx) => removeCopies(trx, fx.userId, inbox, 1, [2]));
    expect(removed).toBe(1);
    await expect(reader.getMessage(fx.userId, id)).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
    expect((await count()).copy_tombstones).toBeGreaterThan(0);
    const moved = await put(archive, [copy(1, 8)]);
    expect(moved).toMatchObject({ created: 0, reattached: 1 });
    expect(moved.messageIds.get(8)).toBe(id);
    const msg = await reader.getMessage(fx.userId, id);
    expect(msg.done).toBe(true);
    expect(msg.copies.map((c) => c.folderId)).toEqual([archive]);
  });

  it('the same move seen the other way round (new copy first, then the removal) keeps one message', async () => {
    const first = await put(inbox, [copy(2, 3)]);
    const id = first.messageIds.get(3)!;
    const moved = await put(archive, [copy(2, 9)]);
    expect(moved.messageIds.get(9)).toBe(id);
    await ctx.db.transaction().execute((trx) => removeCopies(trx, fx.userId, inbox, 1, [3]));
    const msg = await reader.getMessage(fx.userId, id);
    expect(msg.copies.map((c) => c.folderId)).toEqual([archive]);
  });

  it('a UIDVALIDITY change reseeds: the re-fetched copies keep their message ids, by body or by ENVELOPE alone', async () => {
    const folder = await fx.folder('Reseed');
    const before = await put(folder, [copy(3, 1), copy(4, 2), copy(5, 3)], 50);
    const ids = [1, 2, 3].map((u) => before.messageIds.get(u)!);
    await setDone(ctx.db, fx.userId, ids[0]!, true, Date.now());
    const set = await ctx.db.transaction().execute((trx) => reseedFolder(trx, fx.userId, folder, 51));
    expect(set).toBe(3);
    expect(await knownUids(ctx.db, fx.userId, folder, 50)).toEqual([]);

    // Message 3 and 4 by ENVELOPE + size only (no body downloaded); 5 has a changed size, so it must be fetched.
    const env = (i: number, uid: number, size = sample[i]!.size) => {
      const m = sample[i]!;
      return { uid, flags: [], modseq: null, internalDate: null, size, envelopeHash: envelopeHash(fx.cipher, { date: m.dateMs, fromAddress: fromOf(m.source), subject: m.subject, size }) };
    };
    const rows = await count();
    const res = await ctx.db.transaction().execute((trx) => attachByEnvelope(trx, { userId: fx.userId, accountId: fx.accountId, folderId: folder, uidvalidity: 51 }, [env(3, 11), env(4, 12), env(5, 13, 1)]));
    expect(res.unmatched).toEqual([13]);
    expect([res.attached.get(11), res.attached.get(12)]).toEqual([ids[0], ids[1]]);
    const full = await put(folder, [copy(5, 13)], 51);
    expect(full).toMatchObject({ created: 0, reattached: 1 });
    expect(full.messageIds.get(13)).toBe(ids[2]);
    const after = await count();
    expect(after.messages).toBe(rows.messages);
    expect(after.message_chunks).toBe(rows.message_chunks);
    expect((await reader.getMessage(fx.userId, ids[0]!)).done).toBe(true);
    expect(await knownUids(ctx.db, fx.userId, folder, 51)).toEqual([11, 12, 13]);
  });

  it('flags from the server change the unread and flagged state of the message', async () => {
    const folder = await fx.folder('Flags');
    const res = await put(folder, [copy(6, 1), copy(7, 2, ['\\Seen'])]);
    const changed = await ctx.db.transaction().execute((trx) =>
      applyFlags(trx, fx.userId, folder, 1, [
        { uid: 1, flags: ['\\Seen', '\\Flagged'], modseq: 5 },
        { uid: 2, flags: ['\\Seen'] },
        { uid: 99, flags: [] },
      ]),
    );
    expect(changed).toBe(1);
    const m = await reader.getMessage(fx.userId, res.messageIds.get(1)!);
    expect(m).toMatchObject({ unread: false, flagged: true });
    expect(m.copies[0]!.flags).toEqual(['\\Flagged', '\\Seen']);
  });

  it('a crash inside the write transaction leaves no partial rows', async () => {
    const folder = await fx.folder('Crash');
    const prepared = await prepareBatch(fx.cipher, { userId: fx.userId, accountId: fx.accountId, folderId: folder, uidvalidity: 1, items: [copy(8, 1), copy(9, 2), copy(10, 3)] });
    const before = await count();
    await expect(
      ctx.db.transaction().execute(async (trx) => {
        await storeBatch(trx, prepared);
        throw new Error('worker died');
      }),
    ).rejects.toThrow('worker died');
    expect(await count()).toEqual(before);
    const retry = await ctx.db.transaction().execute((trx) => storeBatch(trx, prepared));
    expect(retry.created + retry.reattached).toBe(3);
  });

  it('threads a reply chain in any arrival order, and joins a bare "Re:" only to a recent thread of that subject', async () => {
    const folder = await fx.folder('Threads');
    const day = (d: number) => `Tue, ${String(d).padStart(2, '0')} Jan 2024 09:00:00 +0000`;
    const raws = [
      rfc822({ id: 'c@t', subject: 'Re: Re: Plan', date: day(4), inReplyTo: 'b@t', references: ['a@t', 'b@t'] }), // child first
      rfc822({ id: 'a@t', subject: 'Plan', date: day(2) }),
      rfc822({ id: 'b@t', subject: 'Re: Plan', date: day(3), inReplyTo: 'a@t', references: ['a@t'] }),
      rfc822({ id: 'd@t', subject: 'AW: Plan', date: day(5) }), // no references: subject fallback
      rfc822({ id: 'e@t', subject: 'Plan', date: day(6) }), // same subject, no reply prefix: its own thread
      rfc822({ id: 'f@t', subject: 'Re: Plan', date: 'Fri, 01 Mar 2024 09:00:00 +0000' }), // too late for the fallback window
    ];
    const res = await put(folder, raws.map((raw, i) => ({ uid: i + 1, flags: [], raw })));
    const thread = async (uid: number) => (await reader.getMessage(fx.userId, res.messageIds.get(uid)!)).threadId;
    const t = await thread(2);
    expect([await thread(1), await thread(3), await thread(4)]).toEqual([t, t, t]);
    expect(await thread(5)).not.toBe(t);
    expect(await thread(6)).not.toBe(t);
    const row = await ctx.db.selectFrom('threads').selectAll().where('user_id', '=', fx.userId).where('id', '=', t!).executeTakeFirstOrThrow();
    expect(row.message_count).toBe(4);
  });

  it('keeps a removed message for 7 days, then purges it with its chunks', async () => {
    const folder = await fx.folder('Purge');
    const now = Date.now();
    const res = await put(folder, [copy(11, 1)], 1, now);
    const id = res.messageIds.get(1)!;
    await ctx.db.transaction().execute((trx) => removeCopies(trx, fx.userId, folder, 1, [1], now));
    const early = await ctx.db.transaction().execute((trx) => purgeExpired(trx, fx.userId, now + TOMBSTONE_MS - DAY));
    expect(early.messages).toBe(0);
    const late = await ctx.db.transaction().execute((trx) => purgeExpired(trx, fx.userId, now + TOMBSTONE_MS + DAY));
    expect(late.messages).toBeGreaterThanOrEqual(1);
    expect(await ctx.db.selectFrom('messages').select('id').where('id', '=', id).executeTakeFirst()).toBeUndefined();
    expect(await ctx.db.selectFrom('message_chunks').select('seq').where('message_id', '=', id).executeTakeFirst()).toBeUndefined();
  });

  it('keeps a message above the size limit as metadata with TOO_LARGE, without its source', async () => {
    const folder = await fx.folder('Large');
    const raw = rfc822({ id: 'big@t', subject: 'Huge report', body: 'x'.repeat(5000) });
    const prepared = await prepareBatch(fx.cipher, { userId: fx.userId, accountId: fx.accountId, folderId: folder, uidvalidity: 1, items: [{ uid: 1, flags: [], raw }] }, { maxBytes: 1000 });
    const res = await ctx.db.transaction().execute((trx) => storeBatch(trx, prepared));
    const msg = await reader.getMessage(fx.userId, res.messageIds.get(1)!);
    expect(msg).toMatchObject({ sourceAvailable: false, text: null, size: raw.length });
    expect(msg.headers.subject).toBe('Huge report');
    expect(msg.parseWarnings).toContain('TOO_LARGE');
    await expect(reader.openSource(fx.userId, msg.id)).rejects.toMatchObject({ code: 'SOURCE_NOT_KEPT' });
  });
});

function fromOf(source: Buffer): string {
  const m = /^From:.*<([^>]+)>/im.exec(source.toString('latin1')) ?? /^From:\s*(\S+@\S+)/im.exec(source.toString('latin1'));
  return m![1]!;
}
