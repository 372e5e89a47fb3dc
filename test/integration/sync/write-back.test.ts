import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ImapFlow } from 'imapflow';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import type { TestUser } from '../../support/dovecot.js';
import { ALICE, TestClient } from '../../support/http-client.js';
import { createTestSync } from '../../support/sync.js';
import { startImapProxy, type ImapProxy } from '../../support/imap-proxy.js';
import { describeWithDovecot } from '../../support/testbed.js';
import { acquireLease, releaseLease } from '../../../src/jobs/leases.js';
import { writeBackJob, WRITE_BACK } from '../../../src/jobs/handlers/write-back.js';
import { loadConfig } from '../../../src/config/index.js';
import { openJobs } from '../../../src/jobs/runtime.js';
import { createLogger } from '../../../src/observability/logger.js';
import { waitForJob } from '../../support/job-harness.js';
import { openEventStream } from '../../support/sse.js';
import type { JobQueue } from '../../../src/jobs/types.js';
import { resumeWriteBack } from '../../../src/services/writeback/message-actions.js';
import { createWriteBack, type WriteBack, type WriteBackResult } from '../../../src/services/writeback/write-back.js';

const PASSWORD = 'write-back-imap-password';

function mail(n: number, subject = `Write-back test ${n}`): Buffer {
  return Buffer.from(
    [
      'From: Sender <sender@example.org>',
      'To: Alice <alice@example.org>',
      `Subject: ${subject}`,
      `Message-ID: <wb-${n}@example.org>`,
      `Date: Mon, 2 Nov 2026 10:${String(n).padStart(2, '0')}:00 +0000`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Body of message ${n}.`,
      '',
    ].join('\r\n'),
  );
}

for (const profile of ['full', 'plain'] as const) {
  describeWithDovecot('write-back', profile, (bed) => {
    describeEachDialect('write-back', (ctx) => {
      let app: FastifyInstance;
      let user: TestUser;
      let user2: TestUser;
      let userId: string;
      let accountId: string;
      let accountId2: string;
      let alice: TestClient;
      let sync: ReturnType<typeof createTestSync>;
      let writeBack: WriteBack;
      let queue: JobQueue;
      let imap: ImapFlow;
      /** The second account talks through this proxy, so a test can cut its connection. */
      let proxy: ImapProxy;
      // The sync re-reads all flags of a folder without CONDSTORE only every 15 minutes: each sync here runs "later".
      let shift = 0;
      const now = () => Date.now() + shift;

      /** Runs the write-back job's work under the account lease, as the worker would. */
      const runWriteBack = async (account = accountId, lastAttempt = false): Promise<WriteBackResult> => {
        const lease = await acquireLease(ctx.db, account, 'test-write-back', 60_000, Date.now());
        if (!lease) throw new Error('lease busy');
        try {
          return await writeBack.run(userId, account, { lease, signal: new AbortController().signal, lastAttempt });
        } finally {
          await releaseLease(ctx.db, lease);
        }
      };
      const runSync = async (account = accountId) => {
        shift += 16 * 60_000;
        const r = await sync.run(userId, account);
        expect(r.foldersFailed).toBe(0);
        return r;
      };
      const idOf = async (n: number) => {
        const items = [] as Array<{ id: string; subject: string }>;
        let cursor: string | null = null;
        let page: { items: Array<{ id: string; subject: string }>; nextCursor: string | null };
        do {
          page = (await alice.get(`/api/messages?limit=200${cursor ? `&cursor=${cursor}` : ''}`)).json();
          items.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        const hit = items.find((m) => m.subject === `Write-back test ${n}`);
        if (!hit) throw new Error(`message ${n} not listed`);
        return hit.id;
      };
      const detail = async (id: string) => (await alice.get(`/api/messages/${id}`)).json();
      const folderId = async (role: string, account = accountId) =>
        ((await alice.get(`/api/accounts/${account}/folders`)).json() as Array<{ id: string; role: string | null; path?: string; name?: string }>).find((f) => f.role === role)!.id;
      const act = (id: string, body: Record<string, unknown>) => alice.post(`/api/messages/${id}/actions`, body);
      /** The server's view, through a separate IMAP client: UID and flags of message n in a folder, or null. */
      const onServer = async (folder: string, n: number): Promise<{ uid: number; flags: Set<string> } | null> => {
        const lock = await imap.getMailboxLock(folder);
        try {
          const uids = (await imap.search({ header: { 'message-id': `<wb-${n}@example.org>` } }, { uid: true })) || [];
          if (uids.length === 0) return null;
          const msg = await imap.fetchOne(String(uids[uids.length - 1]), { uid: true, flags: true }, { uid: true });
          // \Recent is session state, not a stored flag.
          return msg ? { uid: msg.uid, flags: new Set([...(msg.flags ?? [])].filter((f) => f !== '\\Recent')) } : null;
        } finally {
          lock.release();
        }
      };

      beforeAll(async () => {
        user = bed.server.createUser(`wb-${ctx.dialect}`, PASSWORD);
        user2 = bed.server.createUser(`wb2-${ctx.dialect}`, PASSWORD);
        for (const u of [user, user2]) {
          for (const f of ['Archive', 'Trash', 'Doomed']) await bed.server.createFolder(u, f);
        }
        bed.server.fillRaw(user, 'INBOX', Array.from({ length: 9 }, (_, i) => mail(i + 1)));
        bed.server.fillRaw(user2, 'INBOX', [mail(50)]);
        const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' }, { jobDefinitions: [writeBackJob({ writeBack: { run: async () => ({}) } as unknown as WriteBack })] });
        app = built.app;
        queue = built.jobs!.queue;
        userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
        alice = new TestClient(app, '192.0.2.31');
        await alice.login(ALICE.username, ALICE.password);
        proxy = await startImapProxy({ upstream: { host: bed.server.host, port: bed.server.port } });
        const ids: string[] = [];
        for (const [name, u, port] of [['Write-back', user, bed.server.port], ['Second', user2, proxy.port]] as const) {
          const created = await alice.post('/api/accounts', {
            name,
            imap: { host: bed.server.host, port, security: 'none', user: u.name, password: PASSWORD },
            initialWindow: { sinceDays: 36_500 },
          });
          expect(created.statusCode, created.body).toBe(201);
          ids.push(created.json().id);
        }
        [accountId, accountId2] = ids as [string, string];
        sync = createTestSync({ db: ctx.db, crypto: built.crypto, accounts: built.accounts, now });
        writeBack = createWriteBack({ db: ctx.db, crypto: built.crypto, connections: built.accounts.imap, now });
        await runSync(accountId);
        await runSync(accountId2);
        imap = await bed.server.connect(user);
      });
      afterAll(async () => {
        await imap?.logout().catch(() => undefined);
        await app?.close();
        await proxy?.close();
      });

      it('marks read at once, keeps it through a sync that runs first, then the server has \\Seen and the next sync agrees', async () => {
        const id = await idOf(1);
        expect((await detail(id)).flags.unread).toBe(true);
        const res = await act(id, { action: 'read' });
        expect(res.statusCode, res.body).toBe(202);
        expect(res.json().jobId).toMatch(/^[0-9a-f-]{36}$/);
        const job = await ctx.db.selectFrom('jobs').select(['type', 'lane', 'key']).where('id', '=', res.json().jobId).executeTakeFirstOrThrow();
        expect(job).toEqual({ type: WRITE_BACK, lane: 'interactive', key: accountId });
        let d = await detail(id);
        expect(d.flags.unread).toBe(false);
        expect(d.pendingSync).toBe(true);

        // Another client answers the message meanwhile: the sync takes that change, but not the old \Seen state.
        const before = (await onServer('INBOX', 1))!;
        expect(before.flags.has('\\Seen')).toBe(false);
        await bed.server.setFlags(user, 'INBOX', [before.uid], ['\\Answered'], 'add');
        await runSync();
        d = await detail(id);
        expect(d.flags.unread).toBe(false);
        expect(d.flags.answered).toBe(true);
        expect(d.pendingSync).toBe(true);

        const result = await runWriteBack();
        expect(result).toMatchObject({ sent: 1, failed: 0 });
        expect((await onServer('INBOX', 1))!.flags.has('\\Seen')).toBe(true);
        d = await detail(id);
        expect(d.pendingSync).toBe(false);
        await runSync();
        d = await detail(id);
        expect(d.flags.unread).toBe(false);
        expect(d.pendingSync).toBe(false);
      });

      it('coalesces: flag then unflag leaves nothing to send; unread after read sends nothing either', async () => {
        const id = await idOf(2);
        expect((await act(id, { action: 'flag' })).statusCode).toBe(202);
        expect((await detail(id)).flags.flagged).toBe(true);
        expect((await act(id, { action: 'unflag' })).statusCode).toBe(202);
        expect((await act(id, { action: 'read' })).statusCode).toBe(202);
        expect((await act(id, { action: 'unread' })).statusCode).toBe(202);
        const d = await detail(id);
        expect(d.flags).toMatchObject({ flagged: false, unread: true });
        expect(d.pendingSync).toBe(false);
        expect(await runWriteBack()).toMatchObject({ sent: 0, failed: 0 });
        const server = (await onServer('INBOX', 2))!;
        expect([...server.flags].filter((f) => f === '\\Seen' || f === '\\Flagged')).toEqual([]);
      });

      it('while the write-back job runs, an undo is sent rather than coalesced away (the job may be sending the first change)', async () => {
        const id = await idOf(2);
        const res = await act(id, { action: 'read' });
        await ctx.db.updateTable('jobs').set({ state: 'active' }).where('id', '=', res.json().jobId).execute();
        try {
          expect((await act(id, { action: 'unread' })).statusCode).toBe(202);
          const d = await detail(id);
          expect(d.flags.unread).toBe(true);
          expect(d.pendingSync).toBe(true);
        } finally {
          await ctx.db.updateTable('jobs').set({ state: 'failed' }).where('id', '=', res.json().jobId).execute();
        }
        // Whatever the server got meanwhile, it ends as the user left it.
        await bed.server.setFlags(user, 'INBOX', [(await onServer('INBOX', 2))!.uid], ['\\Seen'], 'add');
        expect(await runWriteBack()).toMatchObject({ sent: 1, failed: 0 });
        expect((await onServer('INBOX', 2))!.flags.has('\\Seen')).toBe(false);
        await runSync();
        expect((await detail(id)).flags.unread).toBe(true);
      });

      it('done and undone are local: 200, no job', async () => {
        const id = await idOf(3);
        const jobsBefore = await ctx.db.selectFrom('jobs').select('id').execute();
        const res = await act(id, { action: 'done' });
        expect(res.statusCode, res.body).toBe(200);
        expect((await detail(id)).done).toBe(true);
        expect((await act(id, { action: 'undone' })).statusCode).toBe(200);
        expect((await detail(id)).done).toBe(false);
        expect((await ctx.db.selectFrom('jobs').select('id').execute()).length).toBe(jobsBefore.length);
      });

      it('moves a message: same id, corrections and done state kept, new UID from the server, no duplicate after syncs', async () => {
        const id = await idOf(4);
        const archive = await folderId('archive');
        const inbox = await folderId('inbox');
        expect((await alice.post(`/api/messages/${id}/correction`, { urgency: 3, category: 'action_required' })).statusCode).toBe(200);
        expect((await act(id, { action: 'done' })).statusCode).toBe(200);
        const tag = await alice.post('/api/tags', { name: `Keep ${profile}`, colour: '#336699' });
        expect(tag.statusCode, tag.body).toBe(201);
        const tagId = tag.json().id as string;
        expect((await alice.post(`/api/messages/${id}/tags`, { tagId })).statusCode).toBeLessThan(300);
        const messagesBefore = (await ctx.db.selectFrom('messages').select('id').where('user_id', '=', userId).execute()).length;

        const res = await act(id, { action: 'move', folderId: archive });
        expect(res.statusCode, res.body).toBe(202);
        let d = await detail(id);
        expect(d.folderIds).toEqual([archive]);
        expect(d.pendingSync).toBe(true);
        const inArchive = async () => (await alice.get(`/api/messages?folderId=${archive}`)).json().items.map((m: { id: string }) => m.id);
        expect(await inArchive()).toContain(id);

        // A sync before the job: the server still has it in INBOX; the local move stands.
        await runSync();
        d = await detail(id);
        expect(d.folderIds).toEqual([archive]);
        expect(d.pendingSync).toBe(true);

        const result = await runWriteBack();
        expect(result).toMatchObject({ sent: 1, failed: 0 });
        expect(result.notes).toEqual(profile === 'plain' ? ['NO_SAFE_EXPUNGE'] : []);
        const moved = (await onServer('Archive', 4))!;
        expect(moved).not.toBeNull();
        const left = await onServer('INBOX', 4);
        if (profile === 'full') expect(left).toBeNull();
        // Without UIDPLUS the source copy is only flagged \Deleted: never a plain EXPUNGE.
        else expect(left!.flags.has('\\Deleted')).toBe(true);
        d = await detail(id);
        expect(d.pendingSync).toBe(false);
        expect(d.copies).toEqual([expect.objectContaining({ folderId: archive, uid: moved.uid })]);

        await runSync();
        await runSync();
        d = await detail(id);
        expect(d.id).toBe(id);
        expect(d.folderIds).toEqual([archive]);
        expect(d.done).toBe(true);
        expect(d.analysis).toMatchObject({ urgency: 3, category: 'action_required', source: 'user' });
        expect(d.tags.map((t: { id: string }) => t.id)).toEqual([tagId]);
        expect((await ctx.db.selectFrom('messages').select('id').where('user_id', '=', userId).execute()).length).toBe(messagesBefore);
        expect(await inArchive()).toContain(id);
        expect((await alice.get(`/api/messages?folderId=${inbox}`)).json().items.map((m: { id: string }) => m.id)).not.toContain(id);

        // A later change goes to the copy's new place.
        expect((await act(id, { action: 'read' })).statusCode).toBe(202);
        expect(await runWriteBack()).toMatchObject({ sent: 1, failed: 0 });
        expect((await onServer('Archive', 4))!.flags.has('\\Seen')).toBe(true);
      });

      it('move then move keeps the last target; moving back leaves nothing to send', async () => {
        const id = await idOf(5);
        const archive = await folderId('archive');
        const trash = await folderId('trash');
        const inbox = await folderId('inbox');
        await act(id, { action: 'move', folderId: archive });
        await act(id, { action: 'move', folderId: inbox });
        expect((await detail(id)).pendingSync).toBe(false);
        expect((await detail(id)).folderIds).toEqual([inbox]);
        await act(id, { action: 'move', folderId: archive });
        await act(id, { action: 'trash' });
        expect((await detail(id)).folderIds).toEqual([trash]);
        expect(await runWriteBack()).toMatchObject({ sent: 1, failed: 0 });
        expect(await onServer('Trash', 5)).not.toBeNull();
        expect(await onServer('Archive', 5)).toBeNull();
        expect((await detail(id)).folderIds).toEqual([trash]);
      });

      it('delete permanently needs confirm: true, hides the message at once and removes it on the server', async () => {
        const id = await idOf(6);
        const refused = await act(id, { action: 'delete' });
        expect(refused.statusCode).toBe(400);
        expect(refused.json().error.code).toBe('CONFIRMATION_REQUIRED');
        expect((await detail(id)).id).toBe(id);
        const res = await act(id, { action: 'delete', confirm: true });
        expect(res.statusCode, res.body).toBe(202);
        expect((await alice.get(`/api/messages/${id}`)).statusCode).toBe(404);
        await runSync();
        expect((await alice.get(`/api/messages/${id}`)).statusCode).toBe(404);
        const result = await runWriteBack();
        expect(result).toMatchObject({ sent: 1, failed: 0 });
        const left = await onServer('INBOX', 6);
        if (profile === 'full') expect(left).toBeNull();
        else expect(left!.flags.has('\\Deleted')).toBe(true);
        // Nothing else flagged \Deleted went with it (the source copy of the earlier move, without UIDPLUS).
        if (profile === 'plain') expect((await onServer('INBOX', 4))!.flags.has('\\Deleted')).toBe(true);
        await runSync();
        expect((await alice.get(`/api/messages/${id}`)).statusCode).toBe(404);
      });

      it('a move the server refuses (target folder gone) is undone and the error shows on the message and the account', async () => {
        const id = await idOf(7);
        const inbox = await folderId('inbox');
        const doomed = ((await alice.get(`/api/accounts/${accountId}/folders`)).json() as Array<{ id: string; role: string | null; path: string }>).find(
          (f) => f.path === 'Doomed',
        )!.id;
        expect((await act(id, { action: 'move', folderId: doomed })).statusCode).toBe(202);
        expect((await detail(id)).folderIds).toEqual([doomed]);
        await imap.mailboxDelete('Doomed');
        const result = await runWriteBack();
        expect(result).toMatchObject({ sent: 0, failed: 1 });
        const d = await detail(id);
        expect(d.folderIds).toEqual([inbox]);
        expect(d.pendingSync).toBe(false);
        expect(d.syncError).toMatchObject({ code: 'MOVE_REFUSED' });
        const listed = (await alice.get(`/api/messages?folderId=${inbox}`)).json().items.find((m: { id: string }) => m.id === id);
        expect(listed.syncError.code).toBe('MOVE_REFUSED');
        expect((await alice.get(`/api/accounts/${accountId}`)).json().lastError).toMatchObject({ code: 'MOVE_REFUSED' });
        expect(await onServer('INBOX', 7)).not.toBeNull();
        // The next action clears the error.
        await act(id, { action: 'flag' });
        expect((await detail(id)).syncError).toBeNull();
        await runWriteBack();
      });

      it('trash without a Trash folder answers 409 with a code; a move needs a folder of the same account', async () => {
        const id = await idOf(8);
        const otherAccountFolder = await folderId('inbox', accountId2);
        const wrong = await act(id, { action: 'move', folderId: otherAccountFolder });
        expect(wrong.statusCode).toBe(404);
        expect(wrong.json().error.code).toBe('FOLDER_NOT_FOUND');
        expect((await act(id, { action: 'move' })).json().error.code).toBe('FOLDER_REQUIRED');
        const trash = await folderId('trash');
        await ctx.db.updateTable('folders').set({ role: null }).where('id', '=', trash).execute();
        try {
          const res = await act(id, { action: 'trash' });
          expect(res.statusCode).toBe(409);
          expect(res.json().error.code).toBe('NO_TRASH_FOLDER');
        } finally {
          await ctx.db.updateTable('folders').set({ role: 'trash' }).where('id', '=', trash).execute();
        }
        expect((await detail(id)).pendingSync).toBe(false);
      });

      it('a lost connection keeps the change pending for a retry; only the last attempt undoes it', async () => {
        const id = await idOf(50);
        expect((await act(id, { action: 'read' })).statusCode).toBe(202);
        proxy.faults.dropAfterBytes(0, { afterCommand: 'SELECT' });
        await expect(runWriteBack(accountId2)).rejects.toMatchObject({ transient: true });
        let d = await detail(id);
        expect(d.flags.unread).toBe(false);
        expect(d.pendingSync).toBe(true);
        expect(d.syncError).toBeNull();
        proxy.faults.clear();
        expect(await runWriteBack(accountId2)).toMatchObject({ sent: 1, failed: 0 });
        expect((await detail(id)).pendingSync).toBe(false);

        expect((await act(id, { action: 'flag' })).statusCode).toBe(202);
        proxy.faults.dropAfterBytes(0, { afterCommand: 'SELECT' });
        expect(await runWriteBack(accountId2, true)).toMatchObject({ failed: 1 });
        proxy.faults.clear();
        d = await detail(id);
        expect(d.flags.flagged).toBe(false);
        expect(d.pendingSync).toBe(false);
        expect(d.syncError).toMatchObject({ code: 'SERVER_UNREACHABLE' });
        expect(d.flags.unread).toBe(false);
      });

      it('a flag change the server refuses is undone, with the error on the message', async () => {
        const id = await idOf(50);
        expect((await detail(id)).flags.flagged).toBe(false);
        expect((await act(id, { action: 'flag' })).statusCode).toBe(202);
        // The set and then the single copy are refused.
        proxy.faults.throttle('UID STORE', { times: 2, response: 'NO [CANNOT] not allowed here' });
        expect(await runWriteBack(accountId2)).toMatchObject({ sent: 0, failed: 1 });
        proxy.faults.clear();
        const d = await detail(id);
        expect(d.flags.flagged).toBe(false);
        expect(d.syncError).toMatchObject({ code: 'STORE_REFUSED' });
        expect((await alice.get(`/api/accounts/${accountId2}`)).json().lastError).toMatchObject({ code: 'STORE_REFUSED' });
      });

      it('operations left pending by a failed job get a new job after the next sync', async () => {
        const id = await idOf(8);
        const res = await act(id, { action: 'flag' });
        await ctx.db.updateTable('jobs').set({ state: 'failed' }).where('id', '=', res.json().jobId).execute();
        await resumeWriteBack(ctx.db, queue, userId, accountId);
        const open = await ctx.db.selectFrom('jobs').select(['id', 'type']).where('key', '=', accountId).where('state', '=', 'queued').where('type', '=', WRITE_BACK).execute();
        expect(open).toHaveLength(1);
        expect(open[0]!.id).not.toBe(res.json().jobId);
        await runWriteBack();
        expect((await onServer('INBOX', 8))!.flags.has('\\Flagged')).toBe(true);
        // Nothing pending: no job.
        await ctx.db.updateTable('jobs').set({ state: 'completed' }).where('id', '=', open[0]!.id).execute();
        await resumeWriteBack(ctx.db, queue, userId, accountId);
        expect(await ctx.db.selectFrom('jobs').select('id').where('key', '=', accountId).where('state', '=', 'queued').where('type', '=', WRITE_BACK).execute()).toHaveLength(0);
      });

      it('bulk across two accounts makes one job per account, and each server gets its change', async () => {
        const a = await idOf(9);
        const b = await idOf(50);
        const res = await alice.post('/api/messages/actions', { ids: [a, b], action: 'flag' });
        expect(res.statusCode, res.body).toBe(202);
        const jobs = res.json().jobs as Array<{ accountId: string; jobId: string }>;
        expect(jobs.map((j) => j.accountId).sort()).toEqual([accountId, accountId2].sort());
        expect(new Set(jobs.map((j) => j.jobId)).size).toBe(2);
        // A second action while the jobs wait joins them: still one job per account.
        const again = await alice.post('/api/messages/actions', { ids: [a, b], action: 'read' });
        expect((again.json().jobs as Array<{ jobId: string }>).map((j) => j.jobId).sort()).toEqual(jobs.map((j) => j.jobId).sort());
        await runWriteBack(accountId);
        await runWriteBack(accountId2);
        expect((await onServer('INBOX', 9))!.flags).toEqual(new Set(['\\Flagged', '\\Seen']));
        const imap2 = await bed.server.connect(user2);
        try {
          const lock = await imap2.getMailboxLock('INBOX');
          try {
            const [uid] = (await imap2.search({ all: true }, { uid: true })) || [];
            const msg = await imap2.fetchOne(String(uid), { flags: true }, { uid: true });
            expect([...((msg && msg.flags) || [])].filter((f) => f !== '\\Recent').sort()).toEqual(['\\Flagged', '\\Seen']);
          } finally {
            lock.release();
          }
        } finally {
          await imap2.logout();
        }
      });

      it('runs as a queued job on a worker under the account lease, and other tabs hear of the change', async () => {
        const id = await idOf(3);
        const url = await app.listen({ host: '127.0.0.1', port: 0 });
        const stream = openEventStream(`${url}/api/events`, { cookie: alice.cookie! });
        await stream.ready;
        const worker = await openJobs({
          config: loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: ctx.handle.url }),
          database: ctx.handle,
          logger: createLogger('silent'),
          role: 'serve',
          definitions: [writeBackJob({ writeBack })],
          worker: { pollMs: 100 },
        });
        try {
          const res = await act(id, { action: 'flag' });
          expect(res.statusCode).toBe(202);
          const done = await waitForJob(worker.queue, res.json().jobId, userId, ['completed', 'failed']);
          expect(done.state).toBe('completed');
          expect(done.result).toMatchObject({ sent: 1, failed: 0 });
          expect((await onServer('INBOX', 3))!.flags.has('\\Flagged')).toBe(true);
          expect((await detail(id)).pendingSync).toBe(false);
          const changed = stream.events.find((e) => e.event === 'messages.changed');
          expect(changed?.data).toEqual({ type: 'messages.changed', accountIds: [accountId], messageIds: [id] });
          expect(stream.events.some((e) => e.event === 'counts.changed')).toBe(true);
        } finally {
          stream.close();
          await worker.close(1000);
        }
      });
    });
  });
}
