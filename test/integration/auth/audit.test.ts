import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import { ADMIN, ALICE, BOB, TestClient } from '../../support/http-client.js';

describeEachDialect('audit log', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const built = await buildTestApp(ctx.handle);
    app = built.app;
    await new TestClient(app).post('/api/setup', ADMIN);
  });
  afterAll(async () => app?.close());

  it('records sign-in, failures, user changes and password changes — with time, user and IP, never a secret', async () => {
    const admin = new TestClient(app, '192.0.2.10');
    await admin.login(ADMIN.username, ADMIN.password);
    const created = await admin.post('/api/admin/users', { ...ALICE, role: 'user' });
    expect(created.statusCode).toBe(201);
    const bob = (await admin.post('/api/admin/users', BOB)).json();
    await new TestClient(app, '192.0.2.11').post('/api/auth/login', { username: 'alice', password: 'a-wrong-password-guess' });
    const alice = new TestClient(app, '192.0.2.12');
    await alice.login(ALICE.username, ALICE.password);
    await alice.post('/api/me/password', { currentPassword: ALICE.password, newPassword: 'alice-second-passphrase' });
    await admin.patch(`/api/admin/users/${bob.id}`, { disabled: true });
    await admin.delete(`/api/admin/users/${bob.id}`);

    const all = (await admin.get('/api/admin/audit')).json().items as { event: string; ip: string; userId: string; at: number }[];
    const events = all.map((e) => e.event).reverse();
    expect(events).toEqual([
      'user.created',
      'setup.used',
      'login.ok',
      'login.ok',
      'user.created',
      'user.created',
      'login.failed',
      'login.ok',
      'password.changed',
      'user.disabled',
      'user.deleted',
    ]);
    const failed = all.find((e) => e.event === 'login.failed')!;
    expect(failed.ip).toBe('192.0.2.11');
    expect(failed.at).toBeGreaterThan(0);
    const text = JSON.stringify(all);
    for (const secret of [ADMIN.password, ALICE.password, BOB.password, 'alice-second-passphrase', 'a-wrong-password-guess']) expect(text).not.toContain(secret);

    // Each user sees only their own events; the full log is for admins.
    const own = (await alice.get('/api/audit')).json().items as { event: string; userId: string }[];
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((e) => e.userId === own[0]!.userId)).toBe(true);
    expect(own.map((e) => e.event)).toContain('password.changed');
    expect((await alice.get('/api/admin/audit')).statusCode).toBe(403);
    expect((await alice.get('/api/admin/users')).statusCode).toBe(403);
  });
});
