import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDialect } from '../../support/db.js';
import { buildTestApp } from '../../support/app.js';

describeEachDialect('probes and the error shape', (ctx) => {
  let app: FastifyInstance;
  let readiness: Awaited<ReturnType<typeof buildTestApp>>['readiness'];
  beforeAll(async () => {
    ({ app, readiness } = await buildTestApp(ctx.handle));
    readiness.register({ name: 'flaky-part', check: async () => { if (flakyDown) throw new Error('flaky part is down'); } });
  });
  afterAll(async () => app?.close());
  let flakyDown = false;

  it('/livez answers 200 and /readyz 200 when every part is ready', async () => {
    expect((await app.inject('/livez')).statusCode).toBe(200);
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.map((c: { name: string }) => c.name)).toEqual(['database', 'migrations', 'flaky-part']);
  });

  it('/readyz answers 503 naming the failing part, and recovers', async () => {
    flakyDown = true;
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'not_ready', failing: ['flaky-part'] });
    expect(res.json().checks.find((c: { name: string }) => c.name === 'flaky-part').error).toBe('flaky part is down');
    flakyDown = false;
    expect((await app.inject('/readyz')).statusCode).toBe(200);
  });

  it('every response carries a request id; unknown routes answer in the documented error shape', async () => {
    const res = await app.inject('/api/does-not-exist');
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-request-id']).toMatch(/^[\w-]{8,}$/);
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No route for GET /api/does-not-exist', details: {} } });
  });

  it('/readyz reports the database when it is gone', async () => {
    await ctx.handle.close();
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json().failing).toContain('database');
    expect((await app.inject('/livez')).statusCode).toBe(200);
  });
});
