import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../support/app.js';
import type { FolderRole } from '../../../src/db/schema.js';
import type { AccountsService } from '../../../src/services/accounts.js';
import { describeEachDialect } from '../../support/db.js';
import type { TestUser } from '../../support/dovecot.js';
import { ALICE, TestClient } from '../../support/http-client.js';
import { startImapProxy, type ImapProxy } from '../../support/imap-proxy.js';
import { createTestSync, mailRowCounts } from '../../support/sync.js';
import { describeWithDovecot } from '../../support/testbed.js';

const PASSWORD = 'faults-imap-password';

for (const profile of ['full', 'plain'] as const) {
  describeWithDovecot('sync under faults', profile, (bed) => {
    describeEachDialect('sync under faults', (ctx) => {
      let app: FastifyInstance;
      let proxy: ImapProxy;
      let user: TestUser;
      let userId: string;
      let accountId: string;
      let sync: ReturnType<typeof createTestSync>;
      let accounts: AccountsService;
      const account = () => ctx.db.selectFrom('accounts').select(['state', 'last_error_code', 'last_error_message']).where('id', '=', accountId).executeTakeFirstOrThrow();
      const copiesIn = async (role: FolderRole) =>
        (await ctx.db.selectFrom('message_copies').innerJoin('folders', 'folders.id', 'message_copies.folder_id').select('message_copies.uid').where('folders.role', '=', role).where('message_copies.account_id', '=', accountId).execute()).length;

      beforeAll(async () => {
        user = bed.server.createUser(`faults-${ctx.dialect}`, PASSWORD);
        await bed.server.createFolder(user, 'Archive');
        bed.server.fillRaw(user, 'INBOX', Array.from({ length: 30 }, (_, i) => Buffer.from(`From: s${i}@example.com\r\nTo: me@example.com\r\nSubject: Inbox ${i}\r\nMessage-ID: <in-${i}-${ctx.dialect}@example.com>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\n${'Body line\r\n'.repeat(40)}`)));
        bed.server.fillRaw(user, 'Archive', Array.from({ length: 5 }, (_, i) => Buffer.from(`From: a${i}@example.com\r\nSubject: Archived ${i}\r\nMessage-ID: <ar-${i}-${ctx.dialect}@example.com>\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\n\r\nOld\r\n`)));
        proxy = await startImapProxy({ upstream: { host: bed.server.host, port: bed.server.port } });
        const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' });
        app = built.app;
        accounts = built.accounts;
        userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
        const alice = new TestClient(app, '192.0.2.50');
        await alice.login(ALICE.username, ALICE.password);
        const created = await alice.post('/api/accounts', {
          name: 'Faulty',
          imap: { host: proxy.host, port: proxy.port, security: 'none', user: user.name, password: PASSWORD },
          initialWindow: { sinceDays: 36_500 },
        });
        expect(created.statusCode, created.body).toBe(201);
        accountId = created.json().id;
        sync = createTestSync({ db: ctx.db, crypto: built.crypto, accounts: built.accounts, batchSize: 10 });
      });
      afterAll(async () => {
        await app?.close();
        await proxy?.close();
      });

      it('a folder whose EXAMINE fails is reported; the other folders finish', async () => {
        proxy.faults.rejectSelect('Archive', { times: 5 });
        const result = await sync.run(userId, accountId);
        proxy.faults.clear();
        expect(result.foldersFailed).toBe(1);
        expect(await copiesIn('inbox')).toBe(30);
        expect(await copiesIn('archive')).toBe(0);
        const failed = await ctx.db.selectFrom('folders').select('last_error_code').where('account_id', '=', accountId).where('role', '=', 'archive').executeTakeFirstOrThrow();
        expect(failed.last_error_code).not.toBeNull();
        expect(await account()).toMatchObject({ state: 'error', last_error_code: 'FOLDERS_FAILED' });

        // The next run picks the folder up; the account is healthy again.
        const again = await sync.run(userId, accountId);
        expect(again.foldersFailed).toBe(0);
        expect(await copiesIn('archive')).toBe(5);
        expect(await account()).toMatchObject({ state: 'idle', last_error_code: null });
      });

      it('a connection dropped mid-FETCH fails the run as transient; the retry resumes from the last batch without duplicates', async () => {
        bed.server.fillRaw(user, 'INBOX', Array.from({ length: 25 }, (_, i) => Buffer.from(`From: late${i}@example.com\r\nSubject: Late ${i}\r\nMessage-ID: <late-${i}-${ctx.dialect}@example.com>\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\n${'More text here\r\n'.repeat(60)}`)));
        await app.inject({ method: 'GET', url: '/livez' });
        // Drop the connection part-way through the second source fetch (after one batch of 10 is committed).
        proxy.faults.dropAfterBytes(6000, { afterCommand: 'UID FETCH' });
        const err = await sync.run(userId, accountId).catch((e) => e);
        proxy.faults.clear();
        expect(err).toBeInstanceOf(Error);
        expect((err as { transient?: boolean }).transient).toBe(true);
        const partial = await copiesIn('inbox');
        expect(partial).toBeGreaterThanOrEqual(30);
        expect(partial).toBeLessThan(55);
        expect((await account()).state).toBe('error');

        const before = await mailRowCounts(ctx.db);
        const result = await sync.run(userId, accountId);
        expect(await copiesIn('inbox')).toBe(55);
        // Only what was missing was fetched; nothing stored twice.
        expect(result.fetched).toBe(55 - partial);
        expect((await mailRowCounts(ctx.db)).messages - before.messages).toBe(55 - partial);
        expect((await account()).state).toBe('idle');
      });

      it('a refused password puts the account in auth_error and the scheduler leaves it alone', async () => {
        const { accountSchedules } = await import('../../../src/services/sync/schedules.js');
        expect((await accountSchedules(ctx.db)).map((e) => e.key)).toContain(accountId);
        bed.server.createUser(user.name, 'a-changed-server-password');
        await new Promise((r) => setTimeout(r, 1100)); // Dovecot re-reads a passwd file at most once a second
        // Pooled connections stay logged in until they close; drop them so the next run logs in again.
        await accounts.imap.closeAccount(accountId);
        const err = await sync.run(userId, accountId).catch((e) => e);
        expect(await account()).toMatchObject({ state: 'auth_error', last_error_code: 'AUTH_FAILED' });
        expect((err as { code?: string }).code).toBe('AUTH_FAILED');
        expect((err as { transient?: boolean }).transient).toBe(false);
        expect((await accountSchedules(ctx.db)).map((e) => e.key)).not.toContain(accountId);

        // Fixing the password in the account lifts the state; syncs resume.
        const alice = new TestClient(app, '192.0.2.51');
        await alice.login(ALICE.username, ALICE.password);
        const fixed = await alice.patch(`/api/accounts/${accountId}`, { imap: { password: 'a-changed-server-password' } });
        expect(fixed.statusCode, fixed.body).toBe(200);
        expect(fixed.json().syncState).toBe('idle');
        expect((await accountSchedules(ctx.db)).map((e) => e.key)).toContain(accountId);
        expect((await sync.run(userId, accountId)).foldersFailed).toBe(0);
      });
    });
  });
}
