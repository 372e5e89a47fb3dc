import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../support/app.js';
import { createTestDatabase, describeEachDialect, type TestDatabase } from '../../support/db.js';
import { ADMIN, TestClient } from '../../support/http-client.js';

describeEachDialect('first-run setup', (ctx) => {
  let app: FastifyInstance;
  let services: Awaited<ReturnType<typeof buildTestApp>>['services'];
  beforeAll(async () => ({ app, services } = await buildTestApp(ctx.handle)));
  afterAll(async () => app?.close());

  it('from another machine needs the one-time token printed at start', async () => {
    const remote = new TestClient(app, '203.0.113.7');
    expect((await remote.get('/api/setup')).json()).toEqual({ needed: true, tokenRequired: true });
    const token = await services.setup.issueToken();
    expect(token).toMatch(/^[\w-]{40,}$/);

    const without = await remote.post('/api/setup', ADMIN);
    expect(without.statusCode).toBe(403);
    expect(without.json().error.code).toBe('SETUP_TOKEN_REQUIRED');
    const wrong = await remote.post('/api/setup', { ...ADMIN, setupToken: 'x'.repeat(43) });
    expect(wrong.json().error.code).toBe('SETUP_TOKEN_REQUIRED');

    const weak = await remote.post('/api/setup', { ...ADMIN, password: 'password1234', setupToken: token });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.code).toBe('PASSWORD_TOO_COMMON');
    const short = await remote.post('/api/setup', { ...ADMIN, password: 'short', setupToken: token });
    expect(short.json().error.code).toBe('PASSWORD_TOO_SHORT');

    const ok = await remote.post('/api/setup', { ...ADMIN, setupToken: token });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().user).toMatchObject({ username: 'admin', role: 'admin' });
    // Setup signs the admin in.
    expect((await remote.get('/api/me')).json()).toMatchObject({ username: 'admin', roles: ['admin'] });

    const again = await new TestClient(app).post('/api/setup', { username: 'mallory', password: 'mallory-wants-admin-rights' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('SETUP_DONE');
    expect(await services.setup.issueToken()).toBeNull();
    expect((await remote.get('/api/setup')).json().needed).toBe(false);
  });

  it('from this machine needs no token, and exactly one of two racing setups wins', async () => {
    let db: TestDatabase | undefined;
    try {
      db = await createTestDatabase(ctx.dialect);
      const { app: local } = await buildTestApp(db);
      const results = await Promise.all([
        new TestClient(local).post('/api/setup', { username: 'first', password: 'first-admin-passphrase' }),
        new TestClient(local).post('/api/setup', { username: 'second', password: 'second-admin-passphrase' }),
      ]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
      const rows = await db.db.selectFrom('users').select('username').execute();
      expect(rows).toHaveLength(1);
      await local.close();
    } finally {
      await db?.close();
    }
  });
});
