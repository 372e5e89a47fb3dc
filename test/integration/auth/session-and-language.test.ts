import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import { ALICE, BOB, TestClient, testClock } from '../../support/http-client.js';
import { totpAt } from '../../../src/services/auth/totp.js';
import type { Services } from '../../../src/services/index.js';

describeEachDialect('session state probe and the own language (PATCH /api/me)', (ctx) => {
  let app: FastifyInstance;
  let services: Services;
  const clock = testClock();
  beforeAll(async () => {
    ({ app, services } = await buildTestApp(ctx.handle, { TWO_FACTOR_POLICY: 'required' }, { now: clock.now, webRoot: null }));
    await services.users.create({ ...ALICE, role: 'user' }, 'cli');
    await services.users.create({ ...BOB, role: 'user' }, 'cli');
  });
  afterAll(async () => app?.close());

  it('GET /api/auth/session tells anonymous, pending 2FA and signed in apart, always with 200', async () => {
    const alice = new TestClient(app, '192.0.2.70');
    expect((await alice.get('/api/auth/session')).json()).toEqual({ state: 'anonymous' });
    await alice.login(ALICE.username, ALICE.password);
    expect((await alice.get('/api/auth/session')).json()).toEqual({ state: 'signed_in' });

    const { secret } = (await alice.post('/api/me/2fa/enroll')).json();
    expect((await alice.post('/api/me/2fa/confirm', { code: totpAt(secret, clock.now()) })).statusCode).toBe(200);
    await alice.post('/api/auth/logout');
    await alice.login(ALICE.username, ALICE.password);
    const pending = await alice.get('/api/auth/session');
    expect(pending.statusCode).toBe(200);
    expect(pending.json()).toEqual({ state: 'pending_2fa' });
    expect((await alice.get('/api/me')).statusCode).toBe(401);
  });

  it('a user sets their own language, even before enrolling 2FA; the value is checked; nobody else changes', async () => {
    const bob = new TestClient(app, '192.0.2.71');
    await bob.login(BOB.username, BOB.password);
    const res = await bob.patch('/api/me', { language: 'de' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ username: BOB.username, language: 'de' });
    expect((await bob.get('/api/me')).json().language).toBe('de');
    expect((await bob.patch('/api/me', { language: 'fr' })).statusCode).toBe(400);
    expect((await bob.patch('/api/me', { language: 'en', role: 'admin' })).statusCode).toBe(400);
    const users = await services.users.list('cli');
    expect(users.find((u) => u.username === ALICE.username)?.language).toBe('en');
    expect(users.find((u) => u.username === BOB.username)).toMatchObject({ language: 'de', role: 'user' });

    bob.csrfToken = null;
    expect((await bob.patch('/api/me', { language: 'en' })).json().error.code).toBe('CSRF_FAILED');
  });
});
