import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import { ADMIN, ALICE, TestClient } from '../../support/http-client.js';
import { newId } from '../../../src/db/ids.js';
import type { ReadinessRegistry } from '../../../src/observability/readiness.js';

const MONITORING_TOKEN = 'monitoring-token-for-tests-0123456789';

describeEachDialect('health and metrics', (ctx) => {
  let app: FastifyInstance;
  let readiness: ReadinessRegistry;
  let aliceId: string;
  let partDown = false;
  beforeAll(async () => {
    const built = await buildTestApp(ctx.handle, { MONITORING_TOKEN });
    ({ app, readiness } = built);
    readiness.register({ name: 'queue', check: async () => { if (partDown) throw new Error('queue unreachable'); } });
    await built.services.users.create({ ...ADMIN, role: 'admin' }, 'cli');
    aliceId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
  });
  afterAll(async () => app?.close());

  const monitor = () => new TestClient(app, '192.0.2.200', { authorization: `Bearer ${MONITORING_TOKEN}` });

  it('/metrics needs an admin or the monitoring token and uses bounded labels only', async () => {
    expect((await new TestClient(app).get('/metrics')).statusCode).toBe(401);
    expect((await new TestClient(app, '192.0.2.201', { authorization: 'Bearer wrong-monitoring-token' }).get('/metrics')).statusCode).toBe(401);
    const alice = new TestClient(app, '192.0.2.202');
    await alice.login(ALICE.username, ALICE.password);
    await alice.get('/api/me');
    expect((await alice.get('/metrics')).statusCode).toBe(403);

    const res = await monitor().get('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^mailhelper_http_requests_total\{route="\/api\/me",method="GET",status="2xx"\} \d+$/m);
    expect(res.body).toMatch(/^mailhelper_http_request_duration_seconds_bucket\{/m);
    expect(res.body).toMatch(/^mailhelper_users 2$/m);
    expect(res.body).toMatch(/^mailhelper_process_resident_memory_bytes /m);
    // No user names, ids or addresses in any label.
    for (const secret of [ALICE.username, aliceId, '192.0.2.202']) expect(res.body).not.toContain(secret);

    const admin = new TestClient(app, '192.0.2.203');
    await admin.login(ADMIN.username, ADMIN.password);
    expect((await admin.get('/metrics')).statusCode).toBe(200);
  });

  it('/api/health reports components and each account by id and state; a broken mailbox does not make it unhealthy', async () => {
    const now = Date.now();
    const account = { id: newId(), user_id: aliceId, name: Buffer.from('x'), settings: Buffer.from('x'), state: 'auth_error' as const, sync_interval_minutes: 5, initial_window_days: 90, initial_max_per_folder: 5000, last_error_code: 'AUTH_FAILED', created_at: now, updated_at: now };
    await ctx.db.insertInto('accounts').values(account).execute();

    const res = await monitor().get('/api/health');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ok');
    expect(body.components.map((c: { name: string }) => c.name)).toEqual(['database', 'migrations', 'queue']);
    expect(body.accounts).toEqual([{ id: account.id, state: 'auth_error' }]);

    const admin = new TestClient(app, '192.0.2.204');
    await admin.login(ADMIN.username, ADMIN.password);
    expect((await admin.get('/api/health')).json().accounts[0]).toMatchObject({ id: account.id, state: 'auth_error', lastErrorCode: 'AUTH_FAILED' });

    partDown = true;
    const down = await monitor().get('/api/health');
    expect(down.statusCode).toBe(503);
    expect(down.json().components.find((c: { name: string }) => c.name === 'queue')).toMatchObject({ ok: false, error: 'queue unreachable' });
    partDown = false;
  });
});
