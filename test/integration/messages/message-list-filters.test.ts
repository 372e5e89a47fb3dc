import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMessageReader, type ListOptions, type MessageReader } from '../../../src/services/messages/message-reader.js';
import { prepareBatch } from '../../../src/services/sync/message-prepare.js';
import { storeBatch } from '../../../src/services/sync/message-store.js';
import { describeEachDialect } from '../../support/db.js';
import { generateMaildir, type Manifest } from '../../support/mail/index.js';
import { createStoreFixture, maildirCopies, type StoreFixture } from '../../support/mail-store.js';

let root: string;
let manifest: Manifest;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-list-'));
  manifest = generateMaildir(root, { seed: 23, count: 70 });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface Row {
  id: string;
  date: number;
  is_seen: number;
  is_flagged: number;
  is_done: number;
  has_attachments: number;
  is_calendar: number;
  score: number | null;
}

describeEachDialect('message list filters and sort', (ctx) => {
  let fx: StoreFixture;
  let reader: MessageReader;
  let rows: Row[];

  /** Every page of a list, following the cursor. */
  const all = async (options: ListOptions) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await reader.listMessages(fx.userId, { ...options, cursor, limit: 9 });
      ids.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  };
  const idsWhere = (pred: (r: Row) => boolean) => rows.filter(pred).map((r) => r.id).sort();

  beforeAll(async () => {
    fx = await createStoreFixture(ctx.db);
    reader = createMessageReader({ db: ctx.db, crypto: fx.crypto });
    for (const folder of [...new Set(manifest.messages.map((m) => m.folder))]) {
      const folderId = await fx.folder(folder);
      const items = maildirCopies(root, manifest.messages.filter((m) => m.folder === folder));
      const prepared = await prepareBatch(fx.cipher, { userId: fx.userId, accountId: fx.accountId, folderId, uidvalidity: 1, items });
      await ctx.db.transaction().execute((trx) => storeBatch(trx, prepared));
    }
    // A spread of scores (some unanalysed, many ties) and some done messages.
    const stored = await ctx.db.selectFrom('messages').select('id').where('user_id', '=', fx.userId).orderBy('id').execute();
    for (const [i, { id }] of stored.entries()) {
      const score = i % 5 === 0 ? null : (i % 4) + 2;
      await ctx.db.updateTable('messages').set({ score, is_done: i % 6 === 0 ? 1 : 0, is_flagged: i % 7 === 0 ? 1 : 0 }).where('id', '=', id).execute();
    }
    rows = (await ctx.db
      .selectFrom('messages')
      .select(['id', 'date', 'is_seen', 'is_flagged', 'is_done', 'has_attachments', 'is_calendar', 'score'])
      .where('user_id', '=', fx.userId)
      .where('copy_count', '>', 0)
      .execute()) as Row[];
    expect(rows.length).toBeGreaterThan(40);
  });

  it('filters by unread, flagged, done, attachments and calendar, each way', async () => {
    const cases: [ListOptions, (r: Row) => boolean][] = [
      [{ unread: true }, (r) => r.is_seen === 0],
      [{ unread: false }, (r) => r.is_seen === 1],
      [{ flagged: true }, (r) => r.is_flagged === 1],
      [{ done: false }, (r) => r.is_done === 0],
      [{ done: true }, (r) => r.is_done === 1],
      [{ hasAttachments: true }, (r) => r.has_attachments === 1],
      [{ calendar: false }, (r) => r.is_calendar === 0],
      [{ unread: true, done: false, flagged: false }, (r) => r.is_seen === 0 && r.is_done === 0 && r.is_flagged === 0],
    ];
    for (const [options, pred] of cases) {
      const expected = idsWhere(pred);
      expect(expected.length, JSON.stringify(options)).toBeGreaterThan(0);
      expect((await all(options)).sort(), JSON.stringify(options)).toEqual(expected);
    }
  });

  it('limits to a date range: since ≤ date < until', async () => {
    const dates = rows.map((r) => r.date).sort((a, b) => a - b);
    const since = dates[10]!;
    const until = dates[30]!;
    expect((await all({ since, until })).sort()).toEqual(idsWhere((r) => r.date >= since && r.date < until));
  });

  it('sorts by score with unanalysed messages last; the cursor visits each message once', async () => {
    const ids = await all({ sort: 'score' });
    expect(ids).toHaveLength(rows.length);
    expect(new Set(ids).size).toBe(rows.length);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const keys = ids.map((id) => byId.get(id)!.score ?? -1);
    expect(keys).toEqual([...keys].sort((a, b) => b - a));
    expect(keys.at(-1)).toBe(-1);
  });

  it('refuses a date cursor for a score list and the other way round', async () => {
    const dateCursor = (await reader.listMessages(fx.userId, { limit: 3 })).nextCursor!;
    const scoreCursor = (await reader.listMessages(fx.userId, { limit: 3, sort: 'score' })).nextCursor!;
    await expect(reader.listMessages(fx.userId, { sort: 'score', cursor: dateCursor })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    await expect(reader.listMessages(fx.userId, { cursor: scoreCursor })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
  });
});
