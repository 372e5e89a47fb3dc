import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../src/config/index.js';
import { buildApp } from '../../../src/http/app.js';
import { openJobs, type JobsRuntime } from '../../../src/jobs/runtime.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ReadinessRegistry } from '../../../src/observability/readiness.js';
import { createServices, type Services } from '../../../src/services/index.js';
import { createTestCrypto } from '../../support/crypto.js';
import { describeEachDialect } from '../../support/db.js';
import { createFixtureTables } from './fixtures/handlers.mjs';
import { createUser, fixtureJobDefinitions, waitForJob, waitUntil } from '../../support/job-harness.js';
import { openEventStream } from '../../support/sse.js';


describeEachDialect('jobs API and event stream', (ctx) => {
  const logger = createLogger('silent');
  // "serve" runs the worker; on PostgreSQL a second, worker-less "web" process proves events reach every web node.
  let serve: { app: FastifyInstance; jobs: JobsRuntime; url: string };
  let web: { app: FastifyInstance; jobs: JobsRuntime; url: string };
  let alice: string;
  let bob: string;
  let admin: string;
  // Each user calls the API with a real personal API token (bearer auth needs no CSRF token).
  const tokens = new Map<string, string>();
  const as = (id: string, _role = 'user') => ({ authorization: `Bearer ${tokens.get(id)}` });
  let services: Services;
  let crypto: ReturnType<typeof createTestCrypto>;

  const start = async (role: 'serve' | 'web') => {
    const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: ctx.handle.url, JOBS_CONCURRENCY: '2', JOBS_PER_USER_CAP: '2' });
    const jobs = await openJobs({
      config,
      database: ctx.handle,
      logger,
      role,
      definitions: fixtureJobDefinitions(ctx.db),
      worker: { leaseMs: 2000, pollMs: 100, backoff: { baseMs: 50, maxMs: 100 } },
    });
    const app = await buildApp({ config, database: ctx.handle, logger, readiness: new ReadinessRegistry(), services, crypto, jobs, eventHeartbeatMs: 100 });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    return { app, jobs, url };
  };

  beforeAll(async () => {
    await createFixtureTables(ctx.db);
    [alice, bob, admin] = [await createUser(ctx.db), await createUser(ctx.db), await createUser(ctx.db, 'admin')];
    const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: ctx.handle.url });
    crypto = createTestCrypto(ctx.db);
    services = createServices({ db: ctx.db, config, sealer: crypto });
    for (const id of [alice, bob]) tokens.set(id, (await services.tokens.create(id, { name: 'test', scopes: ['read', 'write'] })).token);
    tokens.set(admin, (await services.tokens.create(admin, { name: 'test', scopes: ['read', 'write', 'admin'] })).token);
    serve = await start('serve');
    web = ctx.dialect === 'postgres' ? await start('web') : serve;
  });
  afterAll(async () => {
    for (const p of new Set([web, serve])) {
      await p?.app.close();
      await p?.jobs.close(1000);
    }
  });

  it('answers 401 in the error shape without a user, and shows a job only to its owner', async () => {
    const anon = await serve.app.inject('/api/jobs');
    expect(anon.statusCode).toBe(401);
    expect(anon.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'Sign in first', details: {} } });

    const job = await serve.jobs.queue.enqueue('test.echo', { n: 5 }, { userId: alice });
    await waitForJob(serve.jobs.queue, job.id, alice, ['completed']);
    const own = await serve.app.inject({ url: `/api/jobs/${job.id}`, headers: as(alice) });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: job.id, type: 'test.echo', state: 'completed', progress: { done: 1, total: 1 }, result: { n: 5 }, error: null });
    expect(own.json()).not.toHaveProperty('userId');

    const other = await serve.app.inject({ url: `/api/jobs/${job.id}`, headers: as(bob) });
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('JOB_NOT_FOUND');
    expect((await serve.app.inject({ url: '/api/jobs/not-an-id', headers: as(alice) })).statusCode).toBe(404);
    expect((await serve.app.inject({ url: '/api/jobs', headers: as(bob) })).json().items).toEqual([]);
  });

  it('lists own jobs newest first with a cursor, and cancels one', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await serve.jobs.queue.enqueue('test.echo', { n: i }, { userId: bob, delayMs: 60_000 })).id);
    const first = (await serve.app.inject({ url: '/api/jobs?limit=2', headers: as(bob) })).json();
    expect(first.items.map((j: { id: string }) => j.id)).toEqual([ids[2], ids[1]]);
    const second = (await serve.app.inject({ url: `/api/jobs?limit=2&cursor=${first.nextCursor}`, headers: as(bob) })).json();
    expect(second).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    expect((await serve.app.inject({ url: '/api/jobs?limit=0', headers: as(bob) })).json().error.code).toBe('VALIDATION_FAILED');

    const cancelled = await serve.app.inject({ method: 'POST', url: `/api/jobs/${ids[0]}/cancel`, headers: as(bob) });
    expect(cancelled.json()).toMatchObject({ state: 'cancelled' });
    expect((await serve.app.inject({ method: 'POST', url: `/api/jobs/${ids[1]}/cancel`, headers: as(alice) })).statusCode).toBe(404);
    for (const id of ids.slice(1)) await serve.jobs.queue.cancel(id, bob);
  });

  it('streams the owner\'s job events (snapshot first, then progress and completion) on every web process, with heartbeats', async () => {
    const mine = openEventStream(`${web.url}/api/events`, as(alice));
    const theirs = openEventStream(`${web.url}/api/events`, as(bob));
    await Promise.all([mine.ready, theirs.ready]);
    expect(mine.status()).toBe(200);
    await waitUntil('both snapshots', async () => mine.events[0]?.event === 'snapshot' && theirs.events[0]?.event === 'snapshot');

    const job = await serve.jobs.queue.enqueue('test.echo', { n: 9 }, { userId: alice });
    const failing = await serve.jobs.queue.enqueue('test.flaky', { permanent: true }, { userId: alice });
    await waitUntil('completion and failure events', async () => mine.events.some((e) => e.event === 'job.failed'), 10_000);
    await waitUntil('the completion event', async () => mine.events.some((e) => e.event === 'job.completed'));
    expect(mine.events.filter((e) => e.data.jobId === job.id)).toEqual([
      { event: 'job.progress', data: { jobId: job.id, type: 'test.echo', progress: { done: 1, total: 1 } } },
      { event: 'job.completed', data: { jobId: job.id, type: 'test.echo', result: { n: 9 } } },
    ]);
    expect(mine.events.find((e) => e.data.jobId === failing.id)).toEqual({
      event: 'job.failed',
      data: { jobId: failing.id, type: 'test.flaky', state: 'failed', error: { code: 'BAD_INPUT', message: 'the input was rejected' } },
    });
    await waitUntil('a heartbeat', async () => mine.heartbeats() > 1);
    expect(theirs.events.map((e) => e.event)).toEqual(['snapshot']);
    mine.close();
    theirs.close();

    const anon = await web.app.inject('/api/events');
    expect(anon.statusCode).toBe(401);
  });

  it('admin: refuses non-admins, lists every job as metadata only, retries, cancels, pauses and resumes a type, lists workers', async () => {
    expect((await serve.app.inject({ url: '/api/admin/jobs', headers: as(alice) })).statusCode).toBe(403);
    expect((await serve.app.inject({ url: '/api/admin/jobs' })).statusCode).toBe(401);
    const adm = as(admin, 'admin');

    const all = (await serve.app.inject({ url: '/api/admin/jobs?type=test.echo&state=completed', headers: adm })).json().items;
    expect(new Set(all.map((j: { userId: string }) => j.userId))).toEqual(new Set([alice]));
    expect(all[0]).not.toHaveProperty('result');
    expect(all[0]).not.toHaveProperty('payload');

    // Paused: the interactive echo is passed over while a later bulk job runs.
    expect((await serve.app.inject({ method: 'POST', url: '/api/admin/job-types/test.echo/pause', headers: adm })).json()).toEqual({ type: 'test.echo', paused: true });
    const held = await serve.jobs.queue.enqueue('test.echo', { n: 1 }, { userId: bob });
    const later = await serve.jobs.queue.enqueue('test.flaky', {}, { userId: bob });
    await waitForJob(serve.jobs.queue, later.id, bob, ['completed']);
    expect((await serve.jobs.queue.status(held.id, bob)).state).toBe('queued');
    const types = (await serve.app.inject({ url: '/api/admin/job-types', headers: adm })).json().items;
    expect(types.find((t: { type: string }) => t.type === 'test.echo')).toMatchObject({ paused: true, lane: 'interactive' });
    await serve.app.inject({ method: 'POST', url: '/api/admin/job-types/test.echo/resume', headers: adm });
    await waitForJob(serve.jobs.queue, held.id, bob, ['completed']);
    expect((await serve.app.inject({ method: 'POST', url: '/api/admin/job-types/test.nope/pause', headers: adm })).json().error.code).toBe('JOB_TYPE_UNKNOWN');

    // Cancel a running job, then retry it: it runs again from the queue.
    const running = await serve.jobs.queue.enqueue('test.sleep', { ms: 60_000 }, { userId: bob });
    await waitForJob(serve.jobs.queue, running.id, bob, ['active']);
    await serve.app.inject({ method: 'POST', url: `/api/admin/jobs/${running.id}/cancel`, headers: adm });
    expect(await waitForJob(serve.jobs.queue, running.id, bob, ['cancelled', 'completed', 'failed'])).toMatchObject({ state: 'cancelled' });
    const retried = await serve.app.inject({ method: 'POST', url: `/api/admin/jobs/${running.id}/retry`, headers: adm });
    expect(retried.json()).toMatchObject({ id: running.id, state: 'queued', attempts: 0 });
    await waitForJob(serve.jobs.queue, running.id, bob, ['active']);
    await serve.jobs.queue.cancel(running.id, bob);
    expect((await serve.app.inject({ method: 'POST', url: `/api/admin/jobs/${held.id}/retry`, headers: adm })).statusCode).toBe(409);

    const runs = (await serve.app.inject({ url: `/api/admin/job-runs?userId=${bob}&state=cancelled`, headers: adm })).json().items;
    expect(runs.filter((r: { jobId: string }) => r.jobId === running.id).length).toBeGreaterThanOrEqual(1);

    const workers = (await serve.app.inject({ url: '/api/admin/workers', headers: adm })).json().items;
    expect(workers).toEqual([expect.objectContaining({ id: serve.jobs.worker!.id, pid: process.pid, concurrency: 2, version: expect.stringMatching(/^\d+\.\d+\.\d+/) })]);
  });
});
