import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParsePool, type ParsePool } from '../../../src/mail/mime/parse-pool.js';
import { openBody } from '../../../src/services/sync/message-body.js';
import { CONTEXT } from '../../../src/services/sync/message-identity.js';
import { prepareBatch, type PreparedMessage } from '../../../src/services/sync/message-prepare.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { generateMaildir } from '../../support/mail/index.js';
import { createStoreFixture, maildirCopies, type StoreFixture } from '../../support/mail-store.js';

const HARD = path.resolve(import.meta.dirname, '../../fixtures/hard-cases');

/**
 * The parse workers seal and hash what they parse, so the sources never come back to the main
 * thread. What they store must be what the main thread would have stored: the same source bytes
 * in the same chunk runs, the same bodies, the same content hash (message identity across copies
 * depends on it).
 */
describe('sealing on the parse workers', () => {
  let root: string;
  let db: TestDatabase;
  let fx: StoreFixture;
  let pool: ParsePool;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-wseal-'));
    db = await createTestDatabase('sqlite');
    fx = await createStoreFixture(db.db);
    pool = createParsePool({ workers: 1 });
  });
  afterAll(async () => {
    await pool.close();
    await db.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const opened = (m: PreparedMessage) => {
    const id = m.row.id!;
    const source = Buffer.concat(m.sourceChunks.map((c, seq) => fx.cipher.openBytes(CONTEXT.source, `${id}:${seq}`, c)));
    const body = (context: string, sealed: unknown) => (sealed ? openBody(fx.cipher, context, id, sealed as Buffer) : null);
    return {
      source,
      chunkSizes: m.sourceChunks.map((c) => c.length),
      text: body(CONTEXT.text, m.row.body_text),
      html: body(CONTEXT.html, m.row.body_html),
      contentHash: Buffer.from(m.row.content_hash as Buffer).toString('hex'),
      attachments: m.attachments.map((a) => ({ seq: a.row.source_seq, chunks: a.row.chunks, size: a.row.size })),
    };
  };

  it('stores the same source chunks, bodies and content hash as sealing on the main thread, and no source returns from a worker', async () => {
    const manifest = generateMaildir(root, { seed: 31, count: 120 });
    const generated = maildirCopies(root, manifest.messages);
    const hard = fs.readdirSync(HARD).filter((f) => f.endsWith('.eml')).sort().map((f, i) => ({ uid: 10_000 + i, flags: [], raw: fs.readFileSync(path.join(HARD, f)) }));
    const items = [...generated.map(({ uid, flags, raw }) => ({ uid, flags, raw })), ...hard];
    const originals = items.map((it) => Buffer.from(it.raw));
    const folderId = await fx.folder('INBOX');
    const input = (list: typeof items) => ({ userId: fx.userId, accountId: fx.accountId, folderId, uidvalidity: 1, items: list });

    const sources: Array<Buffer | null> = [];
    const parse: typeof pool.parse = async (raw, options) => {
      const result = await pool.parse(raw, options);
      sources.push(result.source);
      return result;
    };
    const onWorkers = await prepareBatch(fx.cipher, input(items.map((it) => ({ ...it, raw: Buffer.from(it.raw) }))), { parse });
    const onMain = await prepareBatch(fx.cipher, input(items));

    expect(pool.offloaded).toBe(items.length);
    expect(sources.every((s) => s === null)).toBe(true);
    expect(onWorkers.messages.some((m) => m.attachments.some((a) => a.row.source_seq !== null))).toBe(true);
    for (const [i, original] of originals.entries()) {
      const w = opened(onWorkers.messages[i]!);
      const m = opened(onMain.messages[i]!);
      expect(w.source.equals(original), `message ${i}`).toBe(true);
      expect({ ...w, source: null }).toEqual({ ...m, source: null });
    }
  });
});
