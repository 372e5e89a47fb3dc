import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import { ADMIN, ALICE, TestClient, testClock } from '../../support/http-client.js';
import type { Services } from '../../../src/services/index.js';

describeEachDialect('API tokens and invitations', (ctx) => {
  let app: FastifyInstance;
  let services: Services;
  const clock = testClock();
  beforeAll(async () => {
    ({ app, services } = await buildTestApp(ctx.handle, { PUBLIC_URL: 'https://mail.example.org' }, { now: clock.now }));
    await services.users.create({ ...ADMIN, role: 'admin' }, 'cli');
    await services.users.create({ ...ALICE, role: 'user' }, 'cli');
  });
  afterAll(async () => app?.close());

  const bearer = (token: string, ip = '192.0.2.80') => new TestClient(app, ip, { authorization: `Bearer ${token}` });

  it('a token is shown once, stored hashed, works without CSRF with its owner’s rights, and can be revoked', async () => {
    const alice = new TestClient(app, '192.0.2.81');
    await alice.login(ALICE.username, ALICE.password);
    const created = await alice.post('/api/tokens', { name: 'backup script', scopes: ['read', 'write'] });
    expect(created.statusCode).toBe(201);
    const { token, id } = created.json();
    expect(token).toMatch(/^mh_[\w-]{43}$/);
    const listed = (await alice.get('/api/tokens')).json().items;
    expect(listed).toEqual([expect.objectContaining({ id, name: 'backup script', scopes: ['read', 'write'], lastUsedAt: null })]);
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(JSON.stringify(await ctx.db.selectFrom('api_tokens').selectAll().execute())).not.toContain(token.slice(3));

    const script = bearer(token);
    const me = await script.get('/api/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ username: 'alice', tokenScopes: ['read', 'write'] });
    expect(me.json().csrfToken).toBeUndefined();
    expect((await script.get('/api/audit')).statusCode).toBe(200);
    expect((await alice.get('/api/tokens')).json().items[0].lastUsedAt).toBe(clock.now());
    // Owner's rights only: no admin routes.
    expect((await script.get('/api/admin/users')).statusCode).toBe(403);

    expect((await alice.delete(`/api/tokens/${id}`)).statusCode).toBe(204);
    expect((await script.get('/api/me')).json().error.code).toBe('UNAUTHENTICATED');
    expect((await bearer('mh_not-a-real-token-at-all').get('/api/me')).statusCode).toBe(401);
  });

  it('no token can manage sign-in, and scopes limit what it may do', async () => {
    const admin = new TestClient(app, '192.0.2.82');
    await admin.login(ADMIN.username, ADMIN.password);
    const read = (await admin.post('/api/tokens', { name: 'monitor', scopes: ['read'] })).json().token;
    const full = (await admin.post('/api/tokens', { name: 'ops', scopes: ['read', 'write', 'admin'] })).json().token;

    const r = bearer(read);
    expect((await r.get('/api/me')).statusCode).toBe(200);
    expect((await r.get('/api/admin/users')).json().error.code).toBe('TOKEN_SCOPE');
    expect((await r.post('/api/admin/users', { username: 'eve', password: 'eve-long-passphrase' })).json().error.code).toBe('TOKEN_SCOPE');

    const f = bearer(full);
    expect((await f.get('/api/admin/users')).statusCode).toBe(200);
    const eve = await f.post('/api/admin/users', { username: 'eve', password: 'eve-long-passphrase' });
    expect(eve.statusCode).toBe(201); // write + admin scope, no CSRF needed
    for (const [method, url, body] of [
      ['GET', '/api/tokens', undefined],
      ['POST', '/api/tokens', { name: 'x' }],
      ['POST', '/api/me/password', { currentPassword: ADMIN.password, newPassword: 'another-long-passphrase' }],
      ['POST', '/api/me/2fa/enroll', undefined],
      ['POST', '/api/auth/step-up', { password: ADMIN.password }],
    ] as const) {
      const res = await f.request(method, url, body);
      expect(res.json().error.code, `${method} ${url}`).toBe('TOKEN_NOT_ALLOWED');
    }
    // Deleting a user needs a fresh password, which a token never has.
    expect((await f.delete(`/api/admin/users/${eve.json().id}`)).json().error.code).toBe('STEP_UP_REQUIRED');
    // Creating a token needs a recent password in the session too.
    clock.advance(6 * 60_000);
    expect((await admin.post('/api/tokens', { name: 'late' })).json().error.code).toBe('STEP_UP_REQUIRED');
    expect((await admin.delete(`/api/admin/users/${eve.json().id}`)).json().error.code).toBe('STEP_UP_REQUIRED');
    await admin.post('/api/auth/step-up', { password: ADMIN.password });
    expect((await admin.delete(`/api/admin/users/${eve.json().id}`)).statusCode).toBe(204);
  });

  it('an invitation link is one-time, expires, and registers the invitee', async () => {
    const admin = new TestClient(app, '192.0.2.83');
    await admin.login(ADMIN.username, ADMIN.password);
    const inv = (await admin.post('/api/admin/invitations', { role: 'user', expiresInHours: 24 })).json();
    expect(inv.url).toMatch(/^https:\/\/mail\.example\.org\/invite#[\w-]{43}$/);
    expect(inv.url.endsWith(inv.token)).toBe(true);
    expect(JSON.stringify(await ctx.db.selectFrom('invitations').selectAll().execute())).not.toContain(inv.token);

    const guest = new TestClient(app, '198.51.100.90');
    expect((await guest.post('/api/invitations/inspect', { token: inv.token })).json()).toMatchObject({ role: 'user' });
    const weak = await guest.post('/api/invitations/accept', { token: inv.token, username: 'frank', password: 'short' });
    expect(weak.json().error.code).toBe('PASSWORD_TOO_SHORT');
    const ok = await guest.post('/api/invitations/accept', { token: inv.token, username: 'frank', password: 'frank-long-passphrase' });
    expect(ok.statusCode).toBe(201);
    expect((await guest.get('/api/me')).json()).toMatchObject({ username: 'frank', roles: ['user'] });
    const reuse = await new TestClient(app, '198.51.100.91').post('/api/invitations/accept', { token: inv.token, username: 'grace', password: 'grace-long-passphrase' });
    expect(reuse.json().error.code).toBe('INVITATION_INVALID');

    const old = (await admin.post('/api/admin/invitations', { expiresInHours: 1 })).json();
    clock.advance(2 * 3_600_000);
    expect((await guest.post('/api/invitations/inspect', { token: old.token })).json().error.code).toBe('INVITATION_INVALID');
    await admin.login(ADMIN.username, ADMIN.password);
    const list = (await admin.get('/api/admin/invitations')).json().items;
    expect(list.find((i: { id: string }) => i.id === inv.id).acceptedAt).not.toBeNull();
    await guest.login('frank', 'frank-long-passphrase');
    expect((await guest.post('/api/admin/invitations', {})).statusCode).toBe(403);
  });
});
