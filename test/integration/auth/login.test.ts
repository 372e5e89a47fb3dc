import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import { ADMIN, ALICE, BOB, TestClient, testClock } from '../../support/http-client.js';
import type { Services } from '../../../src/services/index.js';

describeEachDialect('sign-in and sessions', (ctx) => {
  let app: FastifyInstance;
  let services: Services;
  const clock = testClock();
  beforeAll(async () => {
    ({ app, services } = await buildTestApp(ctx.handle, {}, { now: clock.now }));
    await services.users.create({ ...ADMIN, role: 'admin' }, 'cli');
    await services.users.create({ ...ALICE, role: 'user' }, 'cli');
    await services.users.create({ ...BOB, role: 'user' }, 'cli');
  });
  afterAll(async () => app?.close());

  it('a session cookie is HttpOnly and SameSite=Lax; /api/me needs it; logout ends it', async () => {
    const alice = new TestClient(app, '198.51.100.1');
    expect((await alice.get('/api/me')).statusCode).toBe(401);
    const res = await alice.login(ALICE.username, ALICE.password);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/mh_session=[\w-]{40,}/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const me = (await alice.get('/api/me')).json();
    expect(me).toMatchObject({ username: 'alice', roles: ['user'], language: 'en', twoFactor: { enabled: false } });
    expect(me).not.toHaveProperty('password_hash');

    // Only a hash of the cookie value is stored.
    const token = alice.cookie!.split('=')[1]!;
    const stored = await ctx.db.selectFrom('sessions').select('id_hash').execute();
    expect(stored.map((s) => s.id_hash)).not.toContain(token);

    const old = alice.cookie;
    expect((await alice.post('/api/auth/logout')).statusCode).toBe(204);
    alice.cookie = old;
    expect((await alice.get('/api/me')).statusCode).toBe(401);
  });

  it('signing in again rotates the session id', async () => {
    const alice = new TestClient(app, '198.51.100.2');
    await alice.login(ALICE.username, ALICE.password);
    const before = alice.cookie;
    await alice.login(ALICE.username, ALICE.password);
    expect(alice.cookie).not.toBe(before);
    const stale = new TestClient(app, '198.51.100.2');
    stale.cookie = before;
    expect((await stale.get('/api/me')).statusCode).toBe(401);
  });

  it('answers six wrong attempts identically for a known and an unknown user name', async () => {
    const known = new TestClient(app, '198.51.100.10');
    const unknown = new TestClient(app, '198.51.100.11');
    const k: string[] = [];
    const u: string[] = [];
    for (let i = 0; i < 6; i++) {
      const a = await known.post('/api/auth/login', { username: 'bob', password: `wrong-guess-number-${i}` });
      const b = await unknown.post('/api/auth/login', { username: 'nobody-here', password: `wrong-guess-number-${i}` });
      k.push(`${a.statusCode} ${a.body}`);
      u.push(`${b.statusCode} ${b.body}`);
    }
    expect(k).toEqual(u);
    // The first three are plain failures; then the delay refuses attempts until it has passed.
    expect(k.slice(0, 4).every((r) => r.startsWith('401'))).toBe(true);
    expect(k[4]).toMatch(/^429 .*TOO_MANY_ATTEMPTS/);
    // Even the right password waits out the delay; afterwards it works and no lock was set.
    expect((await known.post('/api/auth/login', BOB)).statusCode).toBe(429);
    clock.advance(60_000);
    expect((await known.post('/api/auth/login', BOB)).statusCode).toBe(200);
    const bob = await ctx.db.selectFrom('users').select('locked_until').where('username', '=', 'bob').executeTakeFirstOrThrow();
    expect(bob.locked_until).toBeNull();
  });

  it('delays per IP across account names, so spraying one password over many names slows down too', async () => {
    const sprayer = new TestClient(app, '198.51.100.20');
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await sprayer.post('/api/auth/login', { username: `user${i}`, password: 'Summer2026!!x' })).statusCode);
    expect(codes.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(codes[4]).toBe(429);
    // Another address is not affected.
    expect((await new TestClient(app, '198.51.100.21').post('/api/auth/login', ALICE)).statusCode).toBe(200);
    clock.advance(60_000);
  });

  it('a forwarded address counts only when the request comes from a listed proxy', async () => {
    const { app: proxied } = await buildTestApp(ctx.handle, { TRUST_PROXY: '10.0.0.5' }, { now: clock.now });
    try {
      // An untrusted client cannot escape its per-IP delay by inventing X-Forwarded-For values.
      const attacker = new TestClient(proxied, '198.51.100.30');
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await attacker.post('/api/auth/login', { username: `x${i}`, password: 'guess-guess-guess' }, { 'x-forwarded-for': `192.0.2.${i}` });
        codes.push(res.statusCode);
      }
      expect(codes[4]).toBe(429);
      // Through the listed proxy, the forwarded client address is the one that counts.
      const viaProxy = new TestClient(proxied, '10.0.0.5', { 'x-forwarded-for': '192.0.2.99' });
      await viaProxy.login(ALICE.username, ALICE.password);
      const session = await ctx.db.selectFrom('sessions').select('ip').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      expect(session.ip).toBe('192.0.2.99');
    } finally {
      await proxied.close();
      clock.advance(60_000);
    }
  });

  it('sessions end after 30 idle minutes and after 12 hours in any case; last_seen is written at most once a minute', async () => {
    const alice = new TestClient(app, '198.51.100.40');
    await alice.login(ALICE.username, ALICE.password);
    const lastSeen = async () =>
      (await ctx.db.selectFrom('sessions').select('last_seen_at').orderBy('created_at', 'desc').executeTakeFirstOrThrow()).last_seen_at;
    const t0 = await lastSeen();
    clock.advance(20_000);
    await alice.get('/api/me');
    expect(await lastSeen()).toBe(t0);
    clock.advance(50_000);
    await alice.get('/api/me');
    expect(await lastSeen()).toBe(t0 + 70_000);

    clock.advance(29 * 60_000);
    expect((await alice.get('/api/me')).statusCode).toBe(200);
    clock.advance(30 * 60_000 + 1);
    expect((await alice.get('/api/me')).statusCode).toBe(401);

    await alice.login(ALICE.username, ALICE.password);
    for (let i = 0; i < 12 * 4; i++) {
      clock.advance(15 * 60_000);
      if ((await alice.get('/api/me')).statusCode !== 200) break;
    }
    expect((await alice.get('/api/me')).statusCode).toBe(401);
  });

  it('changing the password ends every session; disabling a user ends theirs and blocks sign-in', async () => {
    const phone = new TestClient(app, '198.51.100.50');
    const laptop = new TestClient(app, '198.51.100.51');
    await phone.login(BOB.username, BOB.password);
    await laptop.login(BOB.username, BOB.password);
    const wrong = await laptop.post('/api/me/password', { currentPassword: 'not-the-password', newPassword: 'a-brand-new-passphrase' });
    expect(wrong.json().error.code).toBe('INVALID_CREDENTIALS');
    const changed = await laptop.post('/api/me/password', { currentPassword: BOB.password, newPassword: 'a-brand-new-passphrase' });
    expect(changed.statusCode).toBe(200);
    expect((await phone.get('/api/me')).statusCode).toBe(401);
    expect((await laptop.get('/api/me')).statusCode).toBe(200); // the changer got a fresh session
    expect((await new TestClient(app, '198.51.100.52').post('/api/auth/login', BOB)).statusCode).toBe(401);
    clock.advance(60_000);

    const admin = new TestClient(app, '198.51.100.53');
    await admin.login(ADMIN.username, ADMIN.password);
    const bobId = (await admin.get('/api/admin/users')).json().items.find((u: { username: string }) => u.username === 'bob').id;
    expect((await admin.patch(`/api/admin/users/${bobId}`, { disabled: true })).json().disabled).toBe(true);
    expect((await laptop.get('/api/me')).statusCode).toBe(401);
    const refused = await new TestClient(app, '198.51.100.54').post('/api/auth/login', { username: 'bob', password: 'a-brand-new-passphrase' });
    expect(refused.json().error.code).toBe('ACCOUNT_DISABLED');
    await admin.patch(`/api/admin/users/${bobId}`, { disabled: false });
  });

  it('the last active admin cannot be disabled, demoted or deleted', async () => {
    const admin = new TestClient(app, '198.51.100.60');
    await admin.login(ADMIN.username, ADMIN.password);
    const me = (await admin.get('/api/me')).json();
    for (const res of [
      await admin.patch(`/api/admin/users/${me.id}`, { disabled: true }),
      await admin.patch(`/api/admin/users/${me.id}`, { role: 'user' }),
      await admin.delete(`/api/admin/users/${me.id}`),
    ]) {
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('LAST_ADMIN');
    }
  });
});
