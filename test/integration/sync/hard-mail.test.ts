import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import type { TestUser } from '../../support/dovecot.js';
import { ALICE, TestClient } from '../../support/http-client.js';
import type { MaildirEntry } from '../../support/mail/maildir.js';
import { createTestSync } from '../../support/sync.js';
import { describeWithDovecot } from '../../support/testbed.js';

/**
 * Issue 10.1, end to end: the hard cases, every malformed generator kind and a message above the
 * size limit go through a real sync (Dovecot, both profiles) and are visible on the message API:
 * stored, with their raw source (as the server serves it) and their parse warnings; nothing stops the sync.
 */
const HARD = path.resolve(import.meta.dirname, '../../fixtures/hard-cases');
const PASSWORD = 'hard-mail-imap-password';
const MALFORMED: Record<string, string> = {
  'malformed-broken-boundary': 'BROKEN_BOUNDARY',
  'malformed-unterminated-boundary': 'UNTERMINATED_BOUNDARY',
  'malformed-multipart-no-boundary': 'NO_BOUNDARY',
  'malformed-missing-date': 'MISSING_DATE',
  'malformed-8bit-header': 'RAW_8BIT_HEADER',
  'malformed-bad-encoded-word': 'BAD_ENCODED_WORD',
  'malformed-bad-base64': 'BAD_BASE64',
  'malformed-unknown-charset': 'UNKNOWN_CHARSET',
};
/** MAX_MESSAGE_MB is 1 here; the big message is 1.5 MB. */
const LIMIT = 1024 * 1024;

interface ApiMessage {
  id: string;
  size: number;
  text: string | null;
  headers: { subject: string; messageId: string | null };
  parseWarnings: string[];
  sourceAvailable: boolean;
}

for (const profile of ['full', 'plain'] as const) {
  describeWithDovecot(`hard mail through a real sync (${profile})`, profile, (bed) => {
    describeEachDialect('hard mail through a real sync', (ctx) => {
      let app: FastifyInstance;
      let user: TestUser;
      let alice: TestClient;
      let accountId: string;
      let generated: MaildirEntry[];
      const hardFiles = fs.readdirSync(HARD).filter((f) => f.endsWith('.eml')).sort();
      /** Folder → UID → { sha of the server's source, the API's view }. */
      const seen = new Map<string, Map<number, { sha: string; message: ApiMessage }>>();
      let result: Awaited<ReturnType<ReturnType<typeof createTestSync>['run']>>;

      beforeAll(async () => {
        user = bed.server.createUser(`hard-${profile}-${ctx.dialect}`, PASSWORD);
        await bed.server.createFolder(user, 'Hard');
        bed.server.fillRaw(user, 'Hard', hardFiles.map((f) => fs.readFileSync(path.join(HARD, f))));
        generated = bed.server.fillGenerated(user, { seed: 5, count: 40, kinds: [...Object.keys(MALFORMED), 'charset-koi8r'] as never });
        const big = Buffer.from(`From: big@example.com\r\nTo: me@example.com\r\nSubject: Quarterly archive\r\nMessage-ID: <huge-${ctx.dialect}@example.com>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\n${'0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n'.repeat(23_000)}`);
        expect(big.length).toBeGreaterThan(LIMIT);
        bed.server.fillRaw(user, 'INBOX', [big]);

        const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1', MAX_MESSAGE_MB: '1' });
        app = built.app;
        const userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
        alice = new TestClient(app, '192.0.2.70');
        await alice.login(ALICE.username, ALICE.password);
        const created = await alice.post('/api/accounts', {
          name: 'Hard',
          imap: { host: bed.server.host, port: bed.server.port, security: 'none', user: user.name, password: PASSWORD },
          initialWindow: { sinceDays: 36_500 },
        });
        expect(created.statusCode, created.body).toBe(201);
        accountId = created.json().id;
        const folders = (await alice.get(`/api/accounts/${accountId}/folders`)).json() as Array<{ path: string; synced: boolean }>;
        expect(folders.find((f) => f.path === 'Hard')?.synced).toBe(true);
        result = await createTestSync({ db: ctx.db, crypto: built.crypto, accounts: built.accounts, batchSize: 10, maxMessageBytes: LIMIT }).run(userId, accountId);

        // Every message on the server, by folder and UID, with the API's view of its local copy.
        const client = await bed.server.connect(user);
        try {
          for (const folder of ['INBOX', 'Hard', ...new Set(generated.map((g) => g.folder))]) {
            if (seen.has(folder)) continue;
            const byUid = new Map<number, { sha: string; message: ApiMessage }>();
            seen.set(folder, byUid);
            const copies = await ctx.db
              .selectFrom('message_copies')
              .innerJoin('folders', 'folders.id', 'message_copies.folder_id')
              .select(['message_copies.uid', 'message_copies.message_id', 'folders.id as folderId'])
              .where('message_copies.account_id', '=', accountId)
              .execute();
            const lock = await client.getMailboxLock(folder, { readOnly: true });
            try {
              const folderId = await folderIdOf(folder);
              for await (const m of client.fetch('1:*', { uid: true, source: true })) {
                const copy = copies.find((c) => c.folderId === folderId && c.uid === m.uid);
                if (!copy) throw new Error(`${folder} UID ${m.uid} was not stored`);
                const res = await alice.get(`/api/messages/${copy.message_id}`);
                expect(res.statusCode, res.body).toBe(200);
                byUid.set(m.uid, { sha: createHash('sha256').update(m.source!).digest('hex'), message: res.json() });
              }
            } finally {
              lock.release();
            }
          }
        } finally {
          await client.logout();
        }
      }, 120_000);
      afterAll(async () => {
        await app?.close();
      });

      async function folderIdOf(folderPath: string): Promise<string> {
        const folders = (await alice.get(`/api/accounts/${accountId}/folders`)).json() as Array<{ id: string; path: string }>;
        return folders.find((f) => f.path === folderPath)!.id;
      }
      const all = () => [...seen.values()].flatMap((m) => [...m.values()]);
      const byMessageId = (messageId: string) => all().find((x) => x.message.headers.messageId === messageId.replace(/^<|>$/g, ''))!;

      it('stores every message without a failed folder: the hard cases, the malformed kinds and the oversized one', () => {
        expect(result.foldersFailed).toBe(0);
        expect(seen.get('Hard')!.size).toBe(hardFiles.length);
        expect(all().length).toBe(hardFiles.length + generated.length + 1);
        expect(result.stored).toBe(all().length);
      });

      it('serves the raw source of every message (malformed ones included) byte for byte as the server has it', async () => {
        for (const { sha, message } of all()) {
          if (!message.sourceAvailable) continue;
          const res = await alice.get(`/api/messages/${message.id}/source`);
          expect(res.statusCode).toBe(200);
          expect(createHash('sha256').update(res.rawPayload).digest('hex'), message.headers.subject).toBe(sha);
        }
        expect(all().filter((x) => !x.message.sourceAvailable)).toHaveLength(1);
      });

      it('shows the parse warning of every malformed message on the message API', () => {
        const kinds = new Set<string>();
        for (const g of generated) {
          const { message } = byMessageId(g.messageId);
          if (MALFORMED[g.kind]) {
            expect(message.parseWarnings, `${g.kind} #${g.index}`).toContain(MALFORMED[g.kind]);
            kinds.add(g.kind);
          }
        }
        expect([...kinds].sort()).toEqual(Object.keys(MALFORMED).sort());
        const hardWarnings = new Set([...seen.get('Hard')!.values()].flatMap((x) => x.message.parseWarnings));
        for (const w of ['EMPTY_MESSAGE', 'BAD_DATE', 'UNKNOWN_TRANSFER_ENCODING', 'BAD_BASE64']) expect(hardWarnings).toContain(w);
      });

      it('decodes an unknown charset best-effort, with the warning', () => {
        const unknown = generated.filter((g) => g.kind === 'malformed-unknown-charset');
        expect(unknown.length).toBeGreaterThan(0);
        for (const g of unknown) {
          const { message } = byMessageId(g.messageId);
          expect(message.parseWarnings).toContain('UNKNOWN_CHARSET');
          expect(message.text?.trim().length ?? 0, `#${g.index}`).toBeGreaterThan(20);
        }
      });

      it('keeps a message above MAX_MESSAGE_MB as metadata with TOO_LARGE; its source is not kept', async () => {
        const { message } = byMessageId(`huge-${ctx.dialect}@example.com`);
        expect(message).toMatchObject({ sourceAvailable: false, text: null, headers: { subject: 'Quarterly archive' } });
        expect(message.size).toBeGreaterThan(LIMIT);
        expect(message.parseWarnings).toContain('TOO_LARGE');
        const source = await alice.get(`/api/messages/${message.id}/source`);
        expect(source.statusCode).toBe(404);
        expect(source.json().error.code).toBe('SOURCE_NOT_KEPT');
      });
    });
  });
}
