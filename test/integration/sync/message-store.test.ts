import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import PostalMime from 'postal-mime';
import { createMessageReader, type MessageReader } from '../../../src/services/messages/message-reader.js';
import { CONTEXT } from '../../../src/services/sync/message-identity.js';
import { prepareBatch } from '../../../src/services/sync/message-prepare.js';
import { knownUids, storeBatch } from '../../../src/services/sync/message-store.js';
import { expectEncryptedColumnsSealed } from '../../support/crypto.js';
import { describeEachDialect } from '../../support/db.js';
import { generateMaildir, type Manifest } from '../../support/mail/index.js';
import { collect, countStoreRows, createStoreFixture, isUnrecoverable, maildirCopies, type StoreFixture } from '../../support/mail-store.js';

const HARD = path.resolve(import.meta.dirname, '../../fixtures/hard-cases');
const UIDVALIDITY = 1000;

// The warning each malformed generator kind must leave on its message.
const EXPECTED_WARNING: Record<string, string> = {
  'malformed-broken-boundary': 'BROKEN_BOUNDARY',
  'malformed-unterminated-boundary': 'UNTERMINATED_BOUNDARY',
  'malformed-multipart-no-boundary': 'NO_BOUNDARY',
  'malformed-missing-date': 'MISSING_DATE',
  'malformed-8bit-header': 'RAW_8BIT_HEADER',
  'malformed-bad-encoded-word': 'BAD_ENCODED_WORD',
  'malformed-bad-base64': 'BAD_BASE64',
  'malformed-unknown-charset': 'UNKNOWN_CHARSET',
};

let root: string;
let manifest: Manifest;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-store-'));
  manifest = generateMaildir(root, { seed: 9, count: 200 });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describeEachDialect('message store on a generated Maildir and the hard cases', (ctx) => {
  let fx: StoreFixture;
  let reader: MessageReader;
  const byIndex = new Map<number, string>(); // manifest index → message id
  const hardIds = new Map<string, string>();

  const store = async (folder: string, items: ReturnType<typeof maildirCopies>) => {
    const folderId = await fx.folder(folder);
    const prepared = await prepareBatch(fx.cipher, { userId: fx.userId, accountId: fx.accountId, folderId, uidvalidity: UIDVALIDITY, items });
    return ctx.db.transaction().execute((trx) => storeBatch(trx, prepared));
  };

  beforeAll(async () => {
    fx = await createStoreFixture(ctx.db);
    reader = createMessageReader({ db: ctx.db, crypto: fx.crypto });
    const folders = [...new Set(manifest.messages.map((m) => m.folder))];
    for (const folder of folders) {
      const copies = maildirCopies(root, manifest.messages.filter((m) => m.folder === folder));
      for (let i = 0; i < copies.length; i += 40) {
        const batch = copies.slice(i, i + 40);
        const res = await store(folder, batch);
        for (const c of batch) byIndex.set(c.entry.index, res.messageIds.get(c.uid)!);
      }
    }
    const files = fs.readdirSync(HARD).filter((f) => f.endsWith('.eml')).sort();
    const hard = files.map((f, i) => ({ uid: i + 1, flags: [], raw: fs.readFileSync(path.join(HARD, f)), internalDate: Date.UTC(2024, 5, 1) }));
    const res = await store('Hard', hard as never);
    files.forEach((f, i) => hardIds.set(f, res.messageIds.get(i + 1)!));
  });

  it('stores every generated message and every hard case, malformed ones with their warning', async () => {
    expect(byIndex.size).toBe(200);
    expect(new Set(byIndex.values()).size).toBe(200);
    expect(hardIds.size).toBe(fs.readdirSync(HARD).filter((f) => f.endsWith('.eml')).length);
    for (const m of manifest.messages) {
      const msg = await reader.getMessage(fx.userId, byIndex.get(m.index)!);
      if (m.malformed) expect(msg.parseWarnings, `${m.kind} #${m.index}`).toContain(EXPECTED_WARNING[m.kind]);
      else expect(msg.parseWarnings.filter((w) => w !== 'MISSING_MESSAGE_ID'), `${m.kind} #${m.index}`).toEqual([]);
    }
    const warned = async (file: string) => (await reader.getMessage(fx.userId, hardIds.get(file)!)).parseWarnings;
    expect(await warned('empty.eml')).toContain('EMPTY_MESSAGE');
    expect(await warned('invalid-date.eml')).toContain('BAD_DATE');
    expect(await warned('unknown-transfer-encoding.eml')).toContain('UNKNOWN_TRANSFER_ENCODING');
    expect(await warned('cte-base64-declared-plain-body.eml')).toContain('BAD_BASE64');
    expect(await warned('utf8-headers-rfc6532.eml')).toEqual([]);
  });

  it('shows the decoded subjects and Message-IDs of the manifest (windows-1252, KOI8-R, RFC 2047 Q/B, raw 8-bit)', async () => {
    const kinds = new Set<string>();
    for (const m of manifest.messages) {
      const msg = await reader.getMessage(fx.userId, byIndex.get(m.index)!);
      if (isUnrecoverable(m, root)) continue;
      expect(msg.headers.subject, `${m.kind} #${m.index}`).toBe(m.subject);
      expect(msg.headers.messageId).toBe(m.messageId.replace(/^<|>$/g, ''));
      kinds.add(m.kind);
    }
    for (const k of ['charset-cp1252', 'charset-koi8r', 'charset-latin1', 'subject-q', 'subject-b', 'malformed-8bit-header']) expect(kinds).toContain(k);
    const cp1252 = manifest.messages.find((m) => m.kind === 'charset-cp1252')!;
    expect((await reader.getMessage(fx.userId, byIndex.get(cp1252.index)!)).text).toMatch(/[„“–€]/);
  });

  it('reads every raw source back byte for byte through the chunk stream', async () => {
    for (const m of manifest.messages) {
      const { chunks } = await reader.openSource(fx.userId, byIndex.get(m.index)!);
      const { data } = await collect(chunks);
      expect(createHash('sha256').update(data).digest('hex'), `#${m.index}`).toBe(m.sha256);
    }
    for (const [file, id] of hardIds) {
      const { data } = await collect((await reader.openSource(fx.userId, id)).chunks);
      expect(data.equals(fs.readFileSync(path.join(HARD, file))), file).toBe(true);
    }
  });

  it('streams a large message and its attachment in chunks of at most 256 KB', async () => {
    const folderId = await fx.folder('Large');
    const big = generateMaildir(path.join(root, 'large'), { seed: 3, count: 1, sizeMix: { small: 0, medium: 0, large: 1 }, kinds: ['attachment'] });
    const items = maildirCopies(path.join(root, 'large'), big.messages);
    const prepared = await prepareBatch(fx.cipher, { userId: fx.userId, accountId: fx.accountId, folderId, uidvalidity: UIDVALIDITY, items });
    const res = await ctx.db.transaction().execute((trx) => storeBatch(trx, prepared));
    const id = res.messageIds.get(1)!;
    const source = await collect((await reader.openSource(fx.userId, id)).chunks);
    expect(source.data.length).toBeGreaterThan(1_000_000);
    // The source is cut at attachment bodies too, so there may be a few more chunks than size / 256 KB.
    expect(source.count).toBeGreaterThanOrEqual(Math.ceil(source.data.length / (256 * 1024)));
    expect(source.largest).toBe(256 * 1024);
    expect(createHash('sha256').update(source.data).digest('hex')).toBe(big.messages[0]!.sha256);

    const decoded = await PostalMime.parse(items[0]!.raw as Buffer, { rfc822Attachments: true, attachmentEncoding: 'arraybuffer' });
    const msg = await reader.getMessage(fx.userId, id);
    const biggest = msg.attachments.reduce((a, b) => (b.size > a.size ? b : a));
    expect(biggest.size).toBeGreaterThan(256 * 1024);
    const { info, chunks } = await reader.openAttachment(fx.userId, id, biggest.index);
    const att = await collect(chunks);
    expect(att.count).toBeGreaterThan(1);
    expect(att.data.equals(Buffer.from(decoded.attachments[biggest.index]!.content as ArrayBuffer))).toBe(true);
    expect(info.filename).toBe(decoded.attachments[biggest.index]!.filename);
  });

  it('downloads every attachment as the decoder decodes it from the source, and stores each byte once', async () => {
    const cases = [
      ...manifest.messages.map((m) => ({ name: `#${m.index} ${m.kind}`, raw: fs.readFileSync(path.join(root, m.file)), id: byIndex.get(m.index)! })),
      ...[...hardIds].map(([file, id]) => ({ name: file, raw: fs.readFileSync(path.join(HARD, file)), id })),
    ];
    let attachmentCount = 0;
    let sourceBytes = 0;
    for (const c of cases) {
      const msg = await reader.getMessage(fx.userId, c.id);
      if (!msg.sourceAvailable) continue;
      sourceBytes += c.raw.length;
      const decoded = await PostalMime.parse(c.raw, { rfc822Attachments: true, attachmentEncoding: 'arraybuffer' }).catch(() => null);
      if (!decoded || msg.parseWarnings.includes('PARSE_FAILED')) continue;
      expect(msg.attachments.length, c.name).toBe(decoded.attachments.length);
      for (const a of msg.attachments) {
        const { info, chunks } = await reader.openAttachment(fx.userId, c.id, a.index);
        const { data } = await collect(chunks);
        const want = Buffer.from(decoded.attachments[a.index]!.content as ArrayBuffer);
        expect(data.equals(want), `${c.name} attachment ${a.index}`).toBe(true);
        expect(info.size, `${c.name} attachment ${a.index}`).toBe(want.length);
        attachmentCount++;
      }
    }
    expect(attachmentCount).toBeGreaterThan(50);
    // Sealed chunks add a small header each; attachments stored a second time would double the attachment bytes.
    const ids = cases.map((c) => c.id);
    const sum = async (table: 'message_chunks' | 'attachment_chunks') => {
      let total = 0;
      for (let i = 0; i < ids.length; i += 200) {
        const q =
          table === 'message_chunks'
            ? ctx.db.selectFrom('message_chunks').select('data').where('user_id', '=', fx.userId).where('message_id', 'in', ids.slice(i, i + 200))
            : ctx.db
                .selectFrom('attachment_chunks')
                .innerJoin('attachments', 'attachments.id', 'attachment_chunks.attachment_id')
                .select('attachment_chunks.data')
                .where('attachments.user_id', '=', fx.userId)
                .where('attachments.message_id', 'in', ids.slice(i, i + 200));
        for (const r of await q.execute()) total += r.data.length;
      }
      return total;
    };
    const stored = (await sum('message_chunks')) + (await sum('attachment_chunks'));
    expect(stored).toBeGreaterThanOrEqual(sourceBytes);
    expect(stored).toBeLessThanOrEqual(1.1 * sourceBytes);
  });

  it('keeps attachments with RFC 2231 file names, inline CID images and calendar invitations', async () => {
    const withUmlaut = [];
    for (const m of manifest.messages.filter((x) => x.kind === 'attachment')) {
      const msg = await reader.getMessage(fx.userId, byIndex.get(m.index)!);
      expect(msg.hasAttachments).toBe(true);
      withUmlaut.push(...msg.attachments.filter((a) => /[äöüÄÖÜß]/.test(a.filename ?? '')));
    }
    expect(withUmlaut.length).toBeGreaterThan(0);
    for (const m of manifest.messages.filter((x) => x.kind === 'inline-image')) {
      const msg = await reader.getMessage(fx.userId, byIndex.get(m.index)!);
      const inline = msg.attachments.filter((a) => a.isInline);
      expect(inline.length).toBeGreaterThan(0);
      for (const a of inline) expect(msg.html).toContain(`cid:${a.contentId}`);
    }
    for (const [kind, method] of [['calendar-request', 'REQUEST'], ['calendar-cancel', 'CANCEL']] as const) {
      for (const m of manifest.messages.filter((x) => x.kind === kind)) {
        const msg = await reader.getMessage(fx.userId, byIndex.get(m.index)!);
        expect(msg.isCalendar).toBe(true);
        expect(msg.calendar?.method).toBe(method);
      }
    }
    const rfc2231 = await reader.getMessage(fx.userId, hardIds.get('rfc2231-continuations.eml')!);
    expect(rfc2231.attachments[0]?.filename).toBeTruthy();
    for (const m of manifest.messages.filter((x) => x.kind === 'newsletter')) expect((await reader.getMessage(fx.userId, byIndex.get(m.index)!)).isNewsletter).toBe(true);
  });

  it('stores the same batch a second time without writing a row', async () => {
    const folder = manifest.messages[0]!.folder;
    const copies = maildirCopies(root, manifest.messages.filter((m) => m.folder === folder)).slice(0, 40);
    const before = await countStoreRows(ctx.db);
    const res = await store(folder, copies);
    expect(res).toMatchObject({ created: 0, reattached: 0, skipped: 40 });
    expect(await countStoreRows(ctx.db)).toEqual(before);
    const uids = await knownUids(ctx.db, fx.userId, await fx.folder(folder), UIDVALIDITY);
    expect(uids).toEqual(maildirCopies(root, manifest.messages.filter((m) => m.folder === folder)).map((c) => c.uid));
  });

  it('lists messages, not copies, newest first, with a cursor that visits each exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let lastDate = Infinity;
    do {
      const page = await reader.listMessages(fx.userId, { accountId: fx.accountId, cursor, limit: 17 });
      for (const item of page.items) {
        expect(item.date).toBeLessThanOrEqual(lastDate);
        lastDate = item.date;
        seen.push(item.id);
      }
      cursor = page.nextCursor;
    } while (cursor);
    const total = Number((await ctx.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('user_id', '=', fx.userId).executeTakeFirstOrThrow()).n);
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    const inbox = await reader.listMessages(fx.userId, { folderId: await fx.folder('INBOX'), limit: 200 });
    expect(inbox.items.length).toBe(manifest.messages.filter((m) => m.folder === 'INBOX').length);
    expect(inbox.items.filter((i) => i.unread).length).toBe(manifest.messages.filter((m) => m.folder === 'INBOX' && !m.flags.includes('\\Seen')).length);
  });

  it('threads a reply chain: replies share the thread of the message they answer', async () => {
    const idToIndex = new Map(manifest.messages.map((m) => [m.messageId.replace(/^<|>$/g, ''), m.index]));
    let checked = 0;
    for (const m of manifest.messages.filter((x) => x.kind === 'reply')) {
      const msg = await reader.getMessage(fx.userId, byIndex.get(m.index)!);
      const parent = msg.headers.inReplyTo.map((x) => idToIndex.get(x)).find((x) => x !== undefined);
      if (parent === undefined) continue;
      expect((await reader.getMessage(fx.userId, byIndex.get(parent)!)).threadId).toBe(msg.threadId);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('stores the text and HTML of a long message compressed: far fewer bytes than its source, read back as parsed', async () => {
    // Like the corpus' padded messages: a long text and HTML alternative of ordinary words.
    const words = ['invoice', 'meeting', 'Grüße', 'quarterly', 'report', 'the', 'and', 'schedule', 'delivery', 'Zürich', 'budget', 'review'];
    let seed = 7;
    const para = () => Array.from({ length: 60 }, () => words[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % words.length]).join(' ');
    const paragraphs = Array.from({ length: 120 }, para);
    const text = paragraphs.join('\r\n\r\n');
    const html = `<html><body>${paragraphs.map((p) => `<p>${p}</p>`).join('\r\n')}</body></html>`;
    const raw = Buffer.from(
      [
        'From: Padded Sender <padded@example.org>',
        'To: alice@example.org',
        'Subject: A long newsletter',
        'Message-ID: <padded-1@example.org>',
        'Date: Mon, 3 Jun 2024 10:00:00 +0000',
        'MIME-Version: 1.0',
        'Content-Type: multipart/alternative; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        text,
        '--b1',
        'Content-Type: text/html; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        html,
        '--b1--',
        '',
      ].join('\r\n'),
    );
    const res = await store('Padded', [{ uid: 1, flags: [], raw, internalDate: Date.UTC(2024, 5, 3) }] as never);
    const parsed = await PostalMime.parse(raw);
    expect(parsed.text!.length).toBeGreaterThan(raw.length / 3);
    const id = res.messageIds.get(1)!;
    const row = await ctx.db.selectFrom('messages').select(['body_text', 'body_html']).where('id', '=', id).executeTakeFirstOrThrow();
    const storedBodies = (row.body_text?.length ?? 0) + (row.body_html?.length ?? 0);
    // Sealed as they are, text and HTML would take about the source's bytes again.
    expect(storedBodies).toBeLessThan(raw.length / 4);
    const msg = await reader.getMessage(fx.userId, id);
    expect(msg.text).toBe(parsed.text);
    expect(msg.html).toContain(paragraphs[119]);
  });

  it('reads text and HTML stored uncompressed by earlier versions', async () => {
    const id = byIndex.get(manifest.messages[0]!.index)!;
    const before = await ctx.db.selectFrom('messages').select(['body_text', 'body_html']).where('id', '=', id).executeTakeFirstOrThrow();
    const text = `Ältere Zeile – ${'old row text '.repeat(100)}`;
    const html = `<p>${'old row html '.repeat(100)}</p>`;
    await ctx.db
      .updateTable('messages')
      .set({ body_text: fx.cipher.sealText(CONTEXT.text, id, text), body_html: fx.cipher.sealText(CONTEXT.html, id, html) })
      .where('id', '=', id)
      .execute();
    const msg = await reader.getMessage(fx.userId, id);
    expect(msg.text).toBe(text);
    expect(msg.html).toBe(html);
    await ctx.db.updateTable('messages').set(before).where('id', '=', id).execute();
  });

  it('seals every encrypted column', async () => {
    expect(await expectEncryptedColumnsSealed(ctx.db)).toBeGreaterThan(1000);
  });
});
