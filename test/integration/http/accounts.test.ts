import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { insertJob } from '../../../src/jobs/embedded/job-repository.js';
import { acquireLease, releaseLease } from '../../../src/jobs/leases.js';
import { buildTestApp } from '../../support/app.js';
import { expectEncryptedColumnsSealed } from '../../support/crypto.js';
import { describeEachDialect } from '../../support/db.js';
import type { TestUser } from '../../support/dovecot.js';
import { ALICE, BOB, TestClient } from '../../support/http-client.js';
import { startImapProxy, type ImapProxy } from '../../support/imap-proxy.js';
import { describeWithDovecot } from '../../support/testbed.js';

const PASSWORD = 'imap-secret-Zq7w9';

/** A client that keeps every response body, so a test can prove no password ever left the server. */
class RecordingClient extends TestClient {
  bodies: string[] = [];
  override async request(...args: Parameters<TestClient['request']>): Promise<LightMyRequestResponse> {
    const res = await super.request(...args);
    this.bodies.push(res.body);
    return res;
  }
}

function message(subject: string): Buffer {
  return Buffer.from(`From: a@example.com\r\nTo: b@example.com\r\nSubject: ${subject}\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${subject}@example.com>\r\n\r\nbody\r\n`);
}

for (const profile of ['full', 'plain'] as const) {
  describeWithDovecot('accounts API', profile, (bed) => {
    describeEachDialect('accounts API', (ctx) => {
      let app: FastifyInstance;
      let alice: RecordingClient;
      let bob: RecordingClient;
      let user: TestUser;
      let proxy: ImapProxy;
      let pin: string;
      let accountId: string;

      const imap = (over: Record<string, unknown> = {}) => ({
        host: bed.server.host,
        port: bed.server.tlsPort,
        security: 'tls',
        user: user.name,
        password: PASSWORD,
        ...over,
      });

      beforeAll(async () => {
        user = bed.server.createUser(`alice-${ctx.dialect}`, PASSWORD);
        for (const f of ['Sent', 'Drafts', 'Trash', 'Junk', 'Archive', 'Rechnungen/Übersicht']) await bed.server.createFolder(user, f);
        bed.server.fillRaw(user, 'INBOX', [message('one'), message('two'), message('three')]);
        bed.server.fillRaw(user, 'INBOX', [message('four')], ['\\Seen']);
        proxy = await startImapProxy({ upstream: { host: bed.server.host, port: bed.server.port } });
        const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' }, { accounts: { testTimeouts: { totalMs: 3000 }, leaseWaitMs: 500 } });
        app = built.app;
        alice = new RecordingClient(app, '192.0.2.10');
        bob = new RecordingClient(app, '192.0.2.11');
        for (const [client, who] of [[alice, ALICE], [bob, BOB]] as const) {
          await built.services.users.create({ ...who, role: 'user' }, 'cli');
          await client.login(who.username, who.password);
        }
      });
      afterAll(async () => {
        await proxy?.close();
        await app?.close();
      });

      it('lists presets with server settings and a note per provider', async () => {
        const res = await alice.get('/api/accounts/presets');
        expect(res.statusCode).toBe(200);
        const items = res.json().items as { id: string; imap: { host: string; port: number; security: string }; note: string }[];
        expect(items.map((p) => p.id)).toEqual(expect.arrayContaining(['gmail', 'outlook', 'gmx', 'webde', 'fastmail', 'icloud', 'yahoo', 'posteo', 'mailboxorg', 'proton-bridge']));
        expect(items.find((p) => p.id === 'gmail')!.imap).toEqual({ host: 'imap.gmail.com', port: 993, security: 'tls' });
        expect(items.find((p) => p.id === 'proton-bridge')!.imap).toEqual({ host: '127.0.0.1', port: 1143, security: 'starttls' });
        for (const p of items) expect(p.note.length, p.id).toBeGreaterThan(20);
      });

      it('tests a configuration: the self-signed certificate is shown, and with its pin the test passes', async () => {
        const first = await alice.post('/api/accounts/test', { imap: imap() });
        expect(first.statusCode).toBe(200);
        expect(first.json()).toMatchObject({ ok: false, stage: 'tls', certificate: { subject: 'CN=localhost', selfSigned: true } });
        pin = first.json().certificate.fingerprintSha256;
        const second = await alice.post('/api/accounts/test', { imap: imap({ tls: { fingerprintSha256: pin } }) });
        expect(second.json()).toMatchObject({ ok: true });
        expect(second.json().capabilities).toContain('IMAP4REV1');
      });

      it('answers the timeout stage when the server stalls (proxy)', async () => {
        proxy.faults.stall();
        try {
          const res = await alice.post('/api/accounts/test', { imap: imap({ host: proxy.host, port: proxy.port, security: 'none' }) });
          expect(res.json()).toMatchObject({ ok: false, stage: 'timeout' });
        } finally {
          proxy.faults.clear();
        }
      });

      it('refuses to create an account whose connection fails, naming the stage', async () => {
        const res = await alice.post('/api/accounts', { name: 'Work', imap: imap() });
        expect(res.statusCode).toBe(422);
        expect(res.json().error).toMatchObject({ code: 'ACCOUNT_CONNECTION_FAILED', details: { stage: 'tls' } });
        expect((await alice.get('/api/accounts')).json().items).toEqual([]);
      });

      it('creates an account after a successful test, with capabilities, state and folders', async () => {
        const res = await alice.post('/api/accounts', {
          name: 'Work',
          imap: imap({ tls: { fingerprintSha256: pin } }),
          smtp: { host: 'smtp.example.com', port: 587, security: 'starttls', password: 'smtp-secret-Xy4' },
          initialWindow: { sinceDays: 30 },
        });
        expect(res.statusCode, res.body).toBe(201);
        const account = res.json();
        accountId = account.id;
        expect(account).toMatchObject({
          name: 'Work',
          imap: { host: bed.server.host, port: bed.server.tlsPort, security: 'tls', user: user.name, tls: { fingerprintSha256: pin } },
          smtp: { host: 'smtp.example.com', port: 587, security: 'starttls', user: null },
          syncIntervalMinutes: 5,
          initialWindow: { sinceDays: 30, maxPerFolder: 5000 },
          syncState: 'idle',
          lastSyncAt: null,
        });
        expect(account.capabilities).toContain('IMAP4REV1');
        expect(account.capabilities.includes('CONDSTORE')).toBe(profile === 'full');
        // The single account also carries the record of its last sync run: none yet.
        expect((await alice.get(`/api/accounts/${accountId}`)).json()).toEqual({ ...account, lastRun: null });
        expect((await alice.get('/api/accounts')).json().items).toEqual([account]);
        expect(await expectEncryptedColumnsSealed(ctx.db)).toBeGreaterThanOrEqual(2);
      });

      it('shows folders with decoded names, roles, counts and the default sync choice', async () => {
        const res = await alice.get(`/api/accounts/${accountId}/folders`);
        expect(res.statusCode).toBe(200);
        const folders = res.json() as { id: string; path: string; name: string; role: string | null; synced: boolean; messages: number; unseen: number }[];
        const byPath = Object.fromEntries(folders.map((f) => [f.path, f]));
        expect(byPath.INBOX).toMatchObject({ role: 'inbox', synced: true, messages: 4, unseen: 3 });
        expect(byPath.Sent).toMatchObject({ role: 'sent', synced: true });
        expect(byPath.Drafts).toMatchObject({ role: 'drafts', synced: true });
        expect(byPath.Archive).toMatchObject({ role: 'archive', synced: true });
        expect(byPath.Trash).toMatchObject({ role: 'trash', synced: false });
        expect(byPath.Junk).toMatchObject({ role: 'junk', synced: false });
        expect(byPath['Rechnungen/Übersicht']).toMatchObject({ name: 'Übersicht', role: null, synced: true });
      });

      it('lets the user choose the folders to sync', async () => {
        const folders = (await alice.get(`/api/accounts/${accountId}/folders`)).json() as { id: string; path: string }[];
        const id = (p: string) => folders.find((f) => f.path === p)!.id;
        const res = await alice.patch(`/api/accounts/${accountId}/folders`, { folders: [{ id: id('Trash'), synced: true }, { id: id('Archive'), synced: false }] });
        expect(res.statusCode).toBe(200);
        const after = Object.fromEntries((res.json() as { path: string; synced: boolean }[]).map((f) => [f.path, f.synced]));
        expect(after).toMatchObject({ Trash: true, Archive: false, INBOX: true });
        // A folder id of nothing in this account is not found.
        expect((await alice.patch(`/api/accounts/${accountId}/folders`, { folders: [{ id: '00000000-0000-7000-8000-000000000000', synced: true }] })).statusCode).toBe(404);
      });

      it('refreshes folders over the pool: new ones appear, deleted ones go, choices stay', async () => {
        await bed.server.createFolder(user, 'Projekte');
        const c = await bed.server.connect(user);
        await c.mailboxDelete('Junk');
        await c.logout();
        const res = await alice.post(`/api/accounts/${accountId}/folders/refresh`);
        expect(res.statusCode).toBe(200);
        const byPath = Object.fromEntries((res.json() as { path: string; synced: boolean }[]).map((f) => [f.path, f]));
        expect(byPath.Projekte).toMatchObject({ synced: true });
        expect(byPath.Junk).toBeUndefined();
        expect(byPath.Trash).toMatchObject({ synced: true });
      });

      it('edits name and interval; a new server needs the password again', async () => {
        const res = await alice.patch(`/api/accounts/${accountId}`, { name: 'Büro', syncIntervalMinutes: 15, initialWindow: { maxPerFolder: 100 } });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ name: 'Büro', syncIntervalMinutes: 15, initialWindow: { sinceDays: 30, maxPerFolder: 100 } });
        const moved = await alice.patch(`/api/accounts/${accountId}`, { imap: { host: 'localhost' } });
        expect(moved.statusCode).toBe(400);
        expect(moved.json().error.code).toBe('PASSWORD_REQUIRED');
        const insecure = await alice.patch(`/api/accounts/${accountId}`, { imap: { port: bed.server.port, security: 'starttls' } });
        expect(insecure.statusCode).toBe(200);
        expect(insecure.json().imap).toMatchObject({ port: bed.server.port, security: 'starttls' });
      });

      it('answers 404 to another user for every account route', async () => {
        const paths: [string, string, unknown?][] = [
          ['GET', `/api/accounts/${accountId}`],
          ['PATCH', `/api/accounts/${accountId}`, { name: 'mine' }],
          ['DELETE', `/api/accounts/${accountId}`],
          ['GET', `/api/accounts/${accountId}/folders`],
          ['PATCH', `/api/accounts/${accountId}/folders`, { folders: [{ id: accountId, synced: true }] }],
          ['POST', `/api/accounts/${accountId}/folders/refresh`],
        ];
        for (const [method, url, body] of paths) {
          const res = await bob.request(method as 'GET', url, body);
          expect(res.statusCode, `${method} ${url}`).toBe(404);
        }
        expect((await bob.get('/api/accounts')).json().items).toEqual([]);
        expect((await alice.get(`/api/accounts/${accountId}`)).json().name).toBe('Büro');
      });

      it('deletes: marks deleting, cancels the account jobs, waits for the lease, then purges local data only', async () => {
        const aliceId = (await alice.get('/api/me')).json().id as string;
        const job = await insertJob(ctx.db, { type: 'mail.sync', payload: {}, payloadVersion: 1, userId: aliceId, lane: 'bulk', key: accountId, maxAttempts: 1, runAt: Date.now() + 60_000 }, Date.now());
        const held = await acquireLease(ctx.db, accountId, 'a-running-sync', 60_000, Date.now());
        expect(held).not.toBeNull();

        const busy = await alice.delete(`/api/accounts/${accountId}`);
        expect(busy.statusCode).toBe(409);
        expect((await alice.get(`/api/accounts/${accountId}`)).json().syncState).toBe('deleting');
        const jobRow = await ctx.db.selectFrom('jobs').select('state').where('id', '=', job.id).executeTakeFirstOrThrow();
        expect(jobRow.state).toBe('cancelled');

        await releaseLease(ctx.db, held!);
        expect((await alice.delete(`/api/accounts/${accountId}`)).statusCode).toBe(204);
        expect((await alice.get(`/api/accounts/${accountId}`)).statusCode).toBe(404);
        const left = await ctx.db.selectFrom('folders').select('id').where('account_id', '=', accountId).execute();
        expect(left).toEqual([]);
        // The server's mail is untouched.
        expect(bed.server.status(user, 'INBOX').messages).toBe(4);
      });

      it('never sends a password back, in any response', async () => {
        const all = [...alice.bodies, ...bob.bodies].join('\n');
        expect(all.length).toBeGreaterThan(1000);
        expect(all).not.toContain(PASSWORD);
        expect(all).not.toContain('smtp-secret-Xy4');
      });

      // Last: Dovecot slows logins from an address down after a failed one.
      it('names the auth stage for a wrong password', async () => {
        const res = await alice.post('/api/accounts/test', { imap: imap({ password: 'not-the-password', port: bed.server.port, security: 'none' }) });
        expect(res.json()).toMatchObject({ ok: false, stage: 'auth' });
      });
    });
  });
}
