import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../src/config/index.js';
import { ACCOUNT_SYNC, accountSyncJob } from '../../../src/jobs/handlers/account-sync.js';
import { openJobs, type JobsRuntime } from '../../../src/jobs/runtime.js';
import { createLogger } from '../../../src/observability/logger.js';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import type { TestUser } from '../../support/dovecot.js';
import { ALICE, TestClient } from '../../support/http-client.js';
import { startImapProxy, type ImapProxy } from '../../support/imap-proxy.js';
import { createTestSync } from '../../support/sync.js';
import { describeWithDovecot } from '../../support/testbed.js';

/**
 * Issue 10.2: a stalled server times out (IMAP_SOCKET_TIMEOUT_SECONDS, 1 s here) and the
 * `account.sync` job is retried with back-off; a server answering `NO [THROTTLED]` is retried after
 * a longer back-off. The account shows the state and the last error meanwhile.
 * Job back-off here: base 1 s (equal jitter: an ordinary first retry waits 0.5–1 s, a throttled
 * one 3–6 s), so the assertions compare scheduled delays, never elapsed time.
 */
const PASSWORD = 'retries-imap-password';
const BASE_MS = 1000;

for (const profile of ['full', 'plain'] as const) {
  describeWithDovecot('sync retries after timeouts and throttling', profile, (bed) => {
    describeEachDialect('sync retries after timeouts and throttling', (ctx) => {
      let app: FastifyInstance;
      let proxy: ImapProxy;
      let jobs: JobsRuntime;
      let user: TestUser;
      let userId: string;
      let accountId: string;
      let alice: TestClient;
      let inboxSize = 0;

      const fill = (n: number, tag: string) => {
        bed.server.fillRaw(user, 'INBOX', Array.from({ length: n }, (_, i) => Buffer.from(`From: r${i}@example.com\r\nSubject: ${tag} ${i}\r\nMessage-ID: <${tag}-${i}-${ctx.dialect}@example.com>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\n${'Body line\r\n'.repeat(30)}`)));
        inboxSize += n;
      };
      const job = (id: string) => ctx.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      /** Waits for the job's row to satisfy `done` (the worker runs in this process). */
      const waitFor = async (id: string, done: (row: Awaited<ReturnType<typeof job>>) => boolean) => {
        for (let i = 0; i < 600; i++) {
          const row = await job(id);
          if (done(row)) return row;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`job ${id} never reached the expected state: ${JSON.stringify(await job(id))}`);
      };
      const copies = async () =>
        Number((await ctx.db.selectFrom('message_copies').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow()).n);
      const shownAccount = async () => {
        const res = await alice.get(`/api/accounts/${accountId}`);
        expect(res.statusCode, res.body).toBe(200);
        return res.json() as { syncState: string; lastError: { code: string; message: string | null } | null };
      };

      beforeAll(async () => {
        user = bed.server.createUser(`retries-${ctx.dialect}`, PASSWORD);
        fill(20, 'first');
        proxy = await startImapProxy({ upstream: { host: bed.server.host, port: bed.server.port } });
        const env = { ALLOW_PRIVATE_MAIL_HOSTS: '1', IMAP_SOCKET_TIMEOUT_SECONDS: '1' };
        const built = await buildTestApp(ctx.handle, env);
        app = built.app;
        userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
        alice = new TestClient(app, '192.0.2.60');
        await alice.login(ALICE.username, ALICE.password);
        const created = await alice.post('/api/accounts', {
          name: 'Retrying',
          imap: { host: proxy.host, port: proxy.port, security: 'none', user: user.name, password: PASSWORD },
          initialWindow: { sinceDays: 36_500 },
        });
        expect(created.statusCode, created.body).toBe(201);
        accountId = created.json().id;
        const sync = createTestSync({ db: ctx.db, crypto: built.crypto, accounts: built.accounts, batchSize: 10 });
        jobs = await openJobs({
          config: loadConfig({ DATABASE_URL: ctx.handle.url, LOG_LEVEL: 'silent' }),
          database: ctx.handle,
          logger: createLogger('silent'),
          role: 'worker',
          definitions: [accountSyncJob({ accountSync: sync.accountSync })],
          worker: { backoff: { baseMs: BASE_MS, maxMs: 60_000 }, pollMs: 50, concurrency: 1 },
          schedules: async () => [],
        });
      });
      afterAll(async () => {
        await jobs?.close(1000);
        await app?.close();
        await proxy?.close();
      });

      const enqueue = async () => (await jobs.queue.enqueue(ACCOUNT_SYNC, { accountId }, { userId, key: accountId, lane: 'interactive' })).id;

      it('a stalled server times out; the job is retried with back-off and the retry completes', async () => {
        proxy.faults.stall({ afterCommand: 'UID FETCH' });
        const id = await enqueue();
        const waiting = await waitFor(id, (r) => r.state === 'queued' && r.error_code !== null);
        proxy.faults.clear();
        expect(proxy.fired.filter((f) => f.type === 'stall')).toHaveLength(1);
        expect(waiting).toMatchObject({ attempts: 1, error_code: 'TIMEOUT' });
        const delay = Number(waiting.run_at) - Number(waiting.updated_at);
        expect(delay).toBeGreaterThanOrEqual(BASE_MS / 2);
        expect(delay).toBeLessThanOrEqual(BASE_MS);
        const shown = await shownAccount();
        // Unless the retry has already begun (it may: the delay is short), the account shows the failure.
        if (shown.syncState !== 'syncing') expect(shown).toMatchObject({ syncState: 'error', lastError: { code: 'TIMEOUT' } });

        const done = await waitFor(id, (r) => r.state === 'completed' || r.state === 'failed');
        expect(done).toMatchObject({ state: 'completed', attempts: 2 });
        expect(await copies()).toBe(inboxSize);
        expect(await shownAccount()).toMatchObject({ syncState: 'idle', lastError: null });
      });

      it('[THROTTLED] ends the run and backs off longer than a timeout; the account shows it until the retry succeeds', async () => {
        fill(15, 'second');
        proxy.faults.throttle('UID FETCH');
        const id = await enqueue();
        const waiting = await waitFor(id, (r) => r.state === 'queued' && r.error_code !== null);
        expect(proxy.fired.filter((f) => f.type === 'reject' && f.command === 'UID FETCH')).toHaveLength(1);
        expect(waiting).toMatchObject({ attempts: 1, error_code: 'THROTTLED' });
        // Longer than any ordinary first retry (at most BASE_MS), also with the worst jitter.
        const delay = Number(waiting.run_at) - Number(waiting.updated_at);
        expect(delay).toBeGreaterThan(BASE_MS);
        expect(delay).toBeLessThanOrEqual(6 * BASE_MS);
        expect(await shownAccount()).toMatchObject({ syncState: 'error', lastError: { code: 'THROTTLED', message: expect.stringMatching(/slow down/) } });
        // The throttled run stopped at once: no other folder or batch was tried after the refusal.
        expect(await copies()).toBe(inboxSize - 15);

        const done = await waitFor(id, (r) => r.state === 'completed' || r.state === 'failed');
        expect(done).toMatchObject({ state: 'completed', attempts: 2 });
        expect(await copies()).toBe(inboxSize);
        expect(await shownAccount()).toMatchObject({ syncState: 'idle', lastError: null });
      });
    });
  });
}
