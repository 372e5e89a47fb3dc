import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import { ALICE, TestClient } from '../../support/http-client.js';

/** The scanning guard and input checks, without a mail server: nothing here may reach the network. */
describeEachDialect('accounts API guard', (ctx) => {
  let app: FastifyInstance;
  let alice: TestClient;
  const imap = (over: Record<string, unknown> = {}) => ({ host: 'localhost', port: 993, security: 'tls', user: 'u', password: 'p-secret', ...over });

  beforeAll(async () => {
    const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '0' }, {
      accounts: { rate: { perIp: { bucket: 'account-test-ip', limit: 100, windowMs: 60_000 }, perUser: { bucket: 'account-test-user', limit: 4, windowMs: 60_000 } } },
    });
    app = built.app;
    await built.services.users.create({ ...ALICE, role: 'user' }, 'cli');
    alice = new TestClient(app, '198.51.100.7');
    await alice.login(ALICE.username, ALICE.password);
  });
  afterAll(async () => app?.close());

  it('needs a signed-in user', async () => {
    const anonymous = new TestClient(app);
    expect((await anonymous.get('/api/accounts')).statusCode).toBe(401);
    expect((await anonymous.post('/api/accounts/test', { imap: imap() })).statusCode).toBe(401);
  });

  it('refuses loopback and private targets, also behind a host name that resolves to 127.0.0.1', async () => {
    const byName = await alice.post('/api/accounts/test', { imap: imap({ host: 'localhost' }) });
    expect(byName.json()).toMatchObject({ ok: false, stage: 'blocked' });
    const create = await alice.post('/api/accounts', { name: 'LAN', imap: imap({ host: '10.0.0.5' }) });
    expect(create.statusCode).toBe(422);
    expect(create.json().error).toMatchObject({ code: 'ACCOUNT_CONNECTION_FAILED', details: { stage: 'blocked' } });
    expect((await alice.get('/api/accounts')).json().items).toEqual([]);
  });

  it('rejects malformed settings before connecting', async () => {
    for (const bad of [imap({ security: 'ssl' }), imap({ port: 0 }), imap({ host: 'mail.example.com/x' }), imap({ tls: { fingerprintSha256: 'abc' } }), { ...imap(), extra: 1 }]) {
      const res = await alice.post('/api/accounts/test', { imap: bad });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
    expect((await alice.post('/api/accounts', { name: 'x', provider: 'aol', imap: imap() })).statusCode).toBe(400);
  });

  it('rate-limits connection attempts per user', async () => {
    let limited: { statusCode: number; json(): { error: { code: string } } } | null = null;
    for (let i = 0; i < 6 && !limited; i++) {
      const res = await alice.post('/api/accounts/test', { imap: imap({ host: '192.168.1.1' }) });
      if (res.statusCode === 429) limited = res;
      else expect(res.json().stage).toBe('blocked');
    }
    expect(limited?.json().error.code).toBe('RATE_LIMITED');
  });

  it('answers 404 for an unknown or malformed account id', async () => {
    expect((await alice.get('/api/accounts/00000000-0000-7000-8000-000000000000')).statusCode).toBe(404);
    expect((await alice.get('/api/accounts/not-an-id/folders')).statusCode).toBe(404);
  });
});
