import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import { ADMIN, ALICE, TestClient } from '../../support/http-client.js';

/** Every row of every table, minus the one column reads may legitimately refresh. */
async function snapshot(db: Kysely<any>): Promise<string> {
  const tables = (await db.introspection.getTables()).map((t) => t.name).filter((n) => !n.startsWith('schema_migrations')).sort();
  const out: Record<string, unknown[]> = {};
  for (const t of tables) {
    const rows = await db.selectFrom(t).selectAll().execute();
    out[t] = rows.map((r: Record<string, unknown>) => {
      const { last_seen_at: _ignored, ...rest } = r;
      return rest;
    });
  }
  return JSON.stringify(out);
}

describeEachDialect('CSRF, state-changing methods and security headers', (ctx) => {
  let app: FastifyInstance;
  const routes: { method: string; url: string }[] = [];
  beforeAll(async () => {
    const built = await buildTestApp(ctx.handle);
    app = built.app;
    await built.services.users.create({ ...ADMIN, role: 'admin' }, 'cli');
    await built.services.users.create({ ...ALICE, role: 'user' }, 'cli');
    routes.push(...app.routeTable);
  });
  afterAll(async () => app?.close());

  it('refuses a state change without the CSRF token, accepts it with the token', async () => {
    const alice = new TestClient(app, '192.0.2.1');
    await alice.login(ALICE.username, ALICE.password);
    const token = alice.csrfToken;
    alice.csrfToken = null;
    const res = await alice.post('/api/auth/logout');
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('CSRF_FAILED');
    expect((await alice.get('/api/me')).statusCode).toBe(200);
    alice.csrfToken = 'forged-token-forged-token-forged-token-1234';
    expect((await alice.post('/api/auth/logout')).statusCode).toBe(403);
    alice.csrfToken = token;
    expect((await alice.post('/api/auth/logout')).statusCode).toBe(204);
  });

  it('refuses form and text/plain bodies, which a foreign site could send without asking', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': type }, payload: 'username=admin&password=x' });
      expect(res.statusCode, type).toBe(415);
    }
  });

  it('no GET route changes anything (walks every registered GET route as an admin)', async () => {
    const admin = new TestClient(app, '192.0.2.2');
    await admin.login(ADMIN.username, ADMIN.password);
    const gets = routes.filter((r) => r.method === 'GET');
    expect(routes.length).toBeGreaterThan(gets.length);
    expect(gets.map((r) => r.url)).toEqual(expect.arrayContaining(['/api/me', '/api/setup', '/api/admin/users', '/livez', '/readyz']));
    const before = await snapshot(ctx.db);
    for (const r of gets) {
      const url = r.url.replace(/:id\b/g, '00000000-0000-7000-8000-000000000000');
      const res = await admin.get(url);
      expect(res.statusCode, url).toBeLessThan(500);
    }
    expect(await snapshot(ctx.db)).toEqual(before);
  });

  it('sends security headers: CSP with frame-ancestors none, nosniff, no referrer; no HSTS over plain HTTP', async () => {
    const res = await app.inject('/livez');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['strict-transport-security']).toBeUndefined();

    const { app: secure } = await buildTestApp(ctx.handle, { PUBLIC_URL: 'https://mail.example.org' });
    try {
      const s = await secure.inject('/livez');
      expect(s.headers['strict-transport-security']).toMatch(/max-age=31536000/);
      const login = await secure.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(ALICE) });
      expect(String(login.headers['set-cookie'])).toMatch(/^__Host-mh_session=.*Secure/);
    } finally {
      await secure.close();
    }
  });
});

