import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import PostalMime from 'postal-mime';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import type { TestUser } from '../../support/dovecot.js';
import { ALICE, TestClient } from '../../support/http-client.js';
import { startImapProxy, type ImapProxy } from '../../support/imap-proxy.js';
import type { SyncStore } from '../../../src/services/sync/folder-sync.js';
import { createTestSync, mailRowCounts } from '../../support/sync.js';
import { describeWithDovecot } from '../../support/testbed.js';
import type { MaildirEntry } from '../../support/mail/maildir.js';

const PASSWORD = 'sync-imap-password';

for (const profile of ['full', 'plain'] as const) {
  describeWithDovecot('account sync', profile, (bed) => {
    describeEachDialect('account sync', (ctx) => {
      let app: FastifyInstance;
      let proxy: ImapProxy;
      let user: TestUser;
      let entries: MaildirEntry[];
      let userId: string;
      let accountId: string;
      let sync: ReturnType<typeof createTestSync>;
      let alice: TestClient;
      const fetches = () => proxy.count('FETCH') + proxy.count('UID FETCH');
      // How the store was handed the fetched messages: all, and those handed over in the same
      // synchronous run as the one before (as a loop over a collected batch would).
      const handOver = { added: 0, sameRun: 0 };
      const watchHandOver = (store: SyncStore): SyncStore => ({
        ...store,
        begin(...args) {
          const batch = store.begin(...args);
          let open = false;
          return {
            add(message) {
              handOver.added++;
              if (open) handOver.sameRun++;
              open = true;
              queueMicrotask(() => (open = false));
              batch.add(message);
            },
            finish: batch.finish,
          };
        },
      });

      beforeAll(async () => {
        user = bed.server.createUser(`sync-${ctx.dialect}`, PASSWORD);
        entries = bed.server.fillGenerated(user, { seed: 5, count: 120 });
        proxy = await startImapProxy({ upstream: { host: bed.server.host, port: bed.server.port } });
        const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' });
        app = built.app;
        userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
        alice = new TestClient(app, '192.0.2.30');
        await alice.login(ALICE.username, ALICE.password);
        const created = await alice.post('/api/accounts', {
          name: 'Test bed',
          imap: { host: proxy.host, port: proxy.port, security: 'none', user: user.name, password: PASSWORD },
          initialWindow: { sinceDays: 36_500 },
        });
        expect(created.statusCode, created.body).toBe(201);
        accountId = created.json().id;
        sync = createTestSync({ db: ctx.db, crypto: built.crypto, accounts: built.accounts, wrapStore: watchHandOver });
      });
      afterAll(async () => {
        await app?.close();
        await proxy?.close();
      });

      /** What the server holds, per folder: Message-IDs and flags, as the generator wrote them. */
      const expectedPerFolder = () => {
        const m = new Map<string, number>();
        for (const e of entries) m.set(e.folder, (m.get(e.folder) ?? 0) + 1);
        return m;
      };

      it('the first sync stores every message of every selected folder, once, with the right subjects', async () => {
        const result = await sync.run(userId, accountId);
        expect(result.foldersFailed).toBe(0);
        const folders = await ctx.db.selectFrom('folders').select(['id', 'role', 'is_synced', 'message_count']).where('account_id', '=', accountId).execute();
        const syncedIds = folders.filter((f) => f.is_synced === 1).map((f) => f.id);
        const copies = await ctx.db.selectFrom('message_copies').select(['folder_id', 'uid']).where('account_id', '=', accountId).execute();
        // Every copy belongs to a synced folder; counts per folder equal what the server holds.
        expect(copies.every((c) => syncedIds.includes(c.folder_id))).toBe(true);
        const serverTotal = folders.filter((f) => f.is_synced === 1).reduce((n, f) => n + f.message_count, 0);
        expect(copies.length).toBe(serverTotal);
        expect(serverTotal).toBeGreaterThan(50);
        expect(result.stored).toBe(copies.length);
        // Trash and Junk are not synced by default.
        const expected = expectedPerFolder();
        const skippedByDefault = [...expected.keys()].filter((f) => /trash|junk|spam/i.test(f)).reduce((n, f) => n + expected.get(f)!, 0);
        expect(serverTotal).toBe(entries.length - skippedByDefault);
        const account = await ctx.db.selectFrom('accounts').select(['state', 'last_sync_at']).where('id', '=', accountId).executeTakeFirstOrThrow();
        expect(account.state).toBe('idle');
        expect(account.last_sync_at).not.toBeNull();
      });

      it('the first sync handed each message to be parsed as the FETCH yielded it, not once its batch was complete', async () => {
        const stored = await ctx.db.selectFrom('message_copies').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
        expect(handOver.added).toBe(Number(stored.n));
        expect(handOver.sameRun).toBe(0);
      });

      it('the message API pages through messages (not copies) and serves each source byte for byte', async () => {
        const seen: { id: string; subject: string }[] = [];
        let cursor: string | null = null;
        do {
          const page = (await alice.get(`/api/messages?account=${accountId}&limit=50${cursor ? `&cursor=${cursor}` : ''}`)).json() as { items: { id: string; subject: string }[]; nextCursor: string | null };
          seen.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        const stored = (await mailRowCounts(ctx.db)).messages;
        expect(seen.length).toBe(stored);
        expect(new Set(seen.map((m) => m.id)).size).toBe(stored);
        // Sources checked against the generator's SHA-256, matched by Message-ID (well-formed kinds:
        // Dovecot rewrites bare LF and NUL bytes of malformed ones).
        const byMessageId = new Map(entries.filter((e) => !e.malformed).map((e) => [e.messageId.replace(/^<|>$/g, ''), e]));
        let checked = 0;
        for (const m of seen) {
          if (checked >= 5) break;
          const headers = (await alice.get(`/api/messages/${m.id}`)).json().headers as { messageId: string | null };
          const entry = headers.messageId ? byMessageId.get(headers.messageId.replace(/^<|>$/g, '')) : undefined;
          if (!entry) continue;
          const res = await alice.get(`/api/messages/${m.id}/source`);
          expect(res.statusCode).toBe(200);
          expect(res.headers['content-type']).toBe('message/rfc822');
          expect(res.headers['content-disposition']).toMatch(/^attachment;/);
          expect(createHash('sha256').update(res.rawPayload).digest('hex')).toBe(entry.sha256);
          checked++;
        }
        expect(checked).toBe(5);
        const detail = (await alice.get(`/api/messages/${seen[0]!.id}`)).json();
        expect(detail).toMatchObject({ id: seen[0]!.id, accountId, sourceAvailable: true });
        // The detail carries only sanitised HTML (or null), never the raw part.
        if (detail.html !== null) expect(detail.html).not.toMatch(/<script|\son\w+=/i);
      });

      it('downloads attachments kept in the source as the bytes a decoder reads from /source', async () => {
        const withAttachments = await ctx.db
          .selectFrom('attachments')
          .select(['message_id', 'index'])
          .where('user_id', '=', userId)
          .where('source_seq', 'is not', null)
          .orderBy('message_id')
          .limit(8)
          .execute();
        expect(withAttachments.length).toBeGreaterThan(0);
        for (const a of withAttachments) {
          const source = (await alice.get(`/api/messages/${a.message_id}/source`)).rawPayload;
          const decoded = await PostalMime.parse(source, { rfc822Attachments: true, attachmentEncoding: 'arraybuffer' });
          const res = await alice.get(`/api/messages/${a.message_id}/attachments/${a.index}`);
          expect(res.statusCode).toBe(200);
          expect(res.rawPayload.equals(Buffer.from(decoded.attachments[a.index]!.content as ArrayBuffer))).toBe(true);
        }
      });

      it('a second sync of the unchanged mailbox fetches nothing and writes nothing', async () => {
        const before = await mailRowCounts(ctx.db);
        const folderRows = JSON.stringify(await ctx.db.selectFrom('folders').select(['id', 'uidnext', 'highestmodseq', 'message_count']).orderBy('id').execute());
        proxy.reset();
        const result = await sync.run(userId, accountId);
        expect(fetches()).toBe(0);
        expect(proxy.count('SELECT') + proxy.count('EXAMINE')).toBe(0);
        // The folder list carries each folder's STATUS: one LIST (LIST-STATUS), or, where the server
        // lacks it (plain), one STATUS per listed folder; the unchanged folders add no command of their own.
        const listedFolders = (await ctx.db.selectFrom('folders').select('id').where('account_id', '=', accountId).where('is_gone', '=', 0).execute()).length;
        expect(proxy.count('LIST')).toBe(1);
        expect(proxy.count('STATUS')).toBe(profile === 'full' ? 0 : listedFolders);
        expect(result.fetched).toBe(0);
        expect(result.foldersSkipped).toBe(result.folders);
        expect(await mailRowCounts(ctx.db)).toEqual(before);
        expect(JSON.stringify(await ctx.db.selectFrom('folders').select(['id', 'uidnext', 'highestmodseq', 'message_count']).orderBy('id').execute())).toBe(folderRows);
      });

      it('new mail: only the new messages are fetched', async () => {
        bed.server.fillRaw(user, 'INBOX', [1, 2, 3].map((i) => Buffer.from(`From: new${i}@example.com\r\nTo: ${user.name}@example.com\r\nSubject: Fresh ${i}\r\nMessage-ID: <fresh-${i}-${ctx.dialect}@example.com>\r\nDate: Sat, 28 Nov 2026 10:00:0${i} +0000\r\n\r\nNew body ${i}\r\n`)));
        const before = await mailRowCounts(ctx.db);
        proxy.reset();
        const result = await sync.run(userId, accountId);
        expect(result.fetched).toBe(3);
        expect(result.stored).toBe(3);
        const after = await mailRowCounts(ctx.db);
        expect(after.messages - before.messages).toBe(3);
        expect(after.message_copies - before.message_copies).toBe(3);
      });

      it('flag changes on the server reach the stored copies', async () => {
        const inbox = await bed.server.connect(user);
        let uid: number;
        try {
          await inbox.mailboxOpen('INBOX');
          const uids = (await inbox.search({ all: true }, { uid: true })) as number[];
          uid = uids[0]!;
          await inbox.messageFlagsAdd(String(uid), ['\\Flagged', '\\Seen'], { uid: true });
        } finally {
          await inbox.logout();
        }
        // Without CONDSTORE flags are re-read every 15 minutes; the plain profile proves the interval on a fresh folder state.
        if (profile === 'plain') await ctx.db.updateTable('folders').set({ last_flag_check_at: 0 }).where('account_id', '=', accountId).execute();
        const result = await sync.run(userId, accountId);
        expect(result.flagsChanged).toBeGreaterThanOrEqual(1);
        const copy = await ctx.db.selectFrom('message_copies').innerJoin('folders', 'folders.id', 'message_copies.folder_id').select('message_copies.flags').where('folders.role', '=', 'inbox').where('message_copies.uid', '=', uid!).where('message_copies.account_id', '=', accountId).executeTakeFirstOrThrow();
        expect(copy.flags).toContain('\\Flagged');
        expect(copy.flags).toContain('\\Seen');
      });

      it('a message deleted on the server disappears locally; one moved keeps its identity', async () => {
        const inboxUids = async () => {
          const c = await bed.server.connect(user);
          try {
            await c.mailboxOpen('INBOX');
            return (await c.search({ all: true }, { uid: true })) as number[];
          } finally {
            await c.logout();
          }
        };
        const uids = await inboxUids();
        const [gone, moved] = [uids[1]!, uids[2]!];
        const inboxFolder = await ctx.db.selectFrom('folders').select('id').where('account_id', '=', accountId).where('role', '=', 'inbox').executeTakeFirstOrThrow();
        const movedMessage = await ctx.db.selectFrom('message_copies').select('message_id').where('folder_id', '=', inboxFolder.id).where('uid', '=', moved).executeTakeFirstOrThrow();
        const before = await mailRowCounts(ctx.db);
        await bed.server.remove(user, 'INBOX', [gone]);
        await bed.server.move(user, 'INBOX', [moved], 'Archive');
        const result = await sync.run(userId, accountId);
        expect(result.removed).toBe(2);
        const after = await mailRowCounts(ctx.db);
        expect(after.message_copies).toBe(before.message_copies - 1);
        expect(await ctx.db.selectFrom('message_copies').select('uid').where('folder_id', '=', inboxFolder.id).where('uid', 'in', [gone, moved]).execute()).toEqual([]);
        // The moved one is the same logical message, now with its copy in Archive.
        const archived = await ctx.db
          .selectFrom('message_copies')
          .innerJoin('folders', 'folders.id', 'message_copies.folder_id')
          .select(['message_copies.message_id', 'folders.role'])
          .where('message_copies.message_id', '=', movedMessage.message_id)
          .execute();
        expect(archived).toEqual([{ message_id: movedMessage.message_id, role: 'archive' }]);
      });

      it('a UIDVALIDITY change re-attaches every copy to the message it was', async () => {
        const inboxFolder = await ctx.db.selectFrom('folders').select('id').where('account_id', '=', accountId).where('role', '=', 'inbox').executeTakeFirstOrThrow();
        const beforeIds = (await ctx.db.selectFrom('message_copies').select('message_id').where('folder_id', '=', inboxFolder.id).execute()).map((r) => r.message_id).sort();
        const messagesBefore = (await mailRowCounts(ctx.db)).messages;
        bed.server.changeUidValidity(user, 'INBOX');
        proxy.reset();
        const result = await sync.run(userId, accountId);
        expect(result.foldersFailed).toBe(0);
        // Matched by ENVELOPE + size: most bodies are not downloaded again.
        expect(result.reattached).toBeGreaterThan(beforeIds.length * 0.8);
        expect(result.fetched).toBe(beforeIds.length - result.reattached);
        const afterIds = (await ctx.db.selectFrom('message_copies').select('message_id').where('folder_id', '=', inboxFolder.id).execute()).map((r) => r.message_id).sort();
        expect(afterIds).toEqual(beforeIds);
        expect((await mailRowCounts(ctx.db)).messages).toBe(messagesBefore);
      });
    });
  });
}
