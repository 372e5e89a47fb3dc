import { spawn } from 'node:child_process';
import net from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newId } from '../../../src/db/ids.js';
import { createDoorbells, createRedisSignals } from '../../../src/jobs/bullmq/index.js';
import { createEmbeddedQueue } from '../../../src/jobs/embedded/queue.js';
import type { JobSignal } from '../../../src/jobs/embedded/signals.js';
import { createJobRegistry } from '../../../src/jobs/registry.js';
import { createLogger } from '../../../src/observability/logger.js';
import { cliPath } from '../../support/build.js';
import { cliEnv, freePort, startServer } from '../../support/cli.js';
import { createTestDatabase, describeEachDialect } from '../../support/db.js';
import { createEmbeddedHarness, createUser, fixtureJobDefinitions, waitForJob, waitUntil, type JobHarness } from '../../support/job-harness.js';
import { serviceMissing } from '../../support/services.js';

/**
 * What only the BullMQ back-end does (the shared behaviour is in contract.test.ts): doorbells in
 * Redis that name a row and nothing else, the sweep that rings again for a row whose doorbell was
 * lost, job signals over Redis pub/sub, and `mailhelper worker` picking the back-end from REDIS_URL.
 */
const redis = inject('redis');
const state = 'error' in redis ? serviceMissing(redis.error) : 'ok';
const redisUrl = 'url' in redis ? redis.url : '';

if (state === 'skip') {
  describe.skip('BullMQ back-end [redis]', () => it('needs Redis'));
} else if (state === 'fail') {
  describe('BullMQ back-end [redis]', () =>
    it('has Redis', () => {
      throw new Error('error' in redis ? redis.error : 'Redis unavailable');
    }));
} else {
  describeEachDialect(
    'BullMQ back-end',
    (ctx) => {
      let h: JobHarness;
      let user: string;
      let bells: Queue;

      beforeAll(async () => {
        h = await createEmbeddedHarness('bullmq-only', ctx.handle, { workers: 1, redisUrl, env: { TEST_SWEEP_MS: '200', TEST_SWEEP_GRACE_MS: '300' } });
        user = await createUser(ctx.db);
        bells = new Queue('jobs', { connection: { url: redisUrl }, prefix: h.redis!.prefix });
      }, 60_000);
      afterAll(async () => {
        await bells?.close();
        await h?.close();
      });

      it("puts one doorbell per job in Redis that carries the row's id and nothing else", async () => {
        const job = await h.queue.enqueue('test.echo', { n: 41 }, { userId: user, delayMs: 60_000 });
        const bell = await bells.getJob(`${job.id}-${job.runAt}`);
        expect(bell).toBeDefined();
        expect(bell!.data).toEqual({ id: job.id });
        expect(bell!.name).toBe('test.echo');
        expect(await bell!.getState()).toBe('delayed');
        // The row is the record: cancelling it there leaves the doorbell to ring into nothing.
        expect(await h.queue.cancel(job.id, user)).toMatchObject({ state: 'cancelled' });
        await bell!.promote();
        await waitUntil('the doorbell to be answered', async () => !(await bells.getJob(bell!.id!)));
        expect(await h.queue.status(job.id, user)).toMatchObject({ state: 'cancelled', attempts: 0 });
      });

      it("sends the owner's tabs the progress and end of a job that runs in a worker process", async () => {
        const heard: JobSignal[] = [];
        const stop = h.signals.subscribe((s) => heard.push(s));
        try {
          const job = await h.queue.enqueue('test.echo', { n: 43 }, { userId: user });
          await waitForJob(h.queue, job.id, user, ['completed']);
          const mine = () => heard.flatMap((s) => (s.kind === 'event' && 'jobId' in s.event && s.event.jobId === job.id ? [s.event] : []));
          await waitUntil('the end event', async () => mine().some((e) => e.type === 'job.completed'));
          expect(mine()).toEqual([
            { type: 'job.progress', userId: user, jobId: job.id, jobType: 'test.echo', progress: { done: 1, total: 1 } },
            { type: 'job.completed', userId: user, jobId: job.id, jobType: 'test.echo', result: { n: 43 } },
          ]);
        } finally {
          stop();
        }
      });

      it('queues a job whose doorbell cannot be rung (Redis away, a crash after the commit) and rings for it later', async () => {
        const silent = createEmbeddedQueue({
          db: ctx.db,
          registry: createJobRegistry(fixtureJobDefinitions(ctx.db)),
          signals: { publish: async () => {} },
          dispatch: {
            ring: async () => {
              throw new Error('Redis went away');
            },
          },
        });
        const job = await silent.enqueue('test.echo', { n: 42 }, { userId: user });
        expect(job.state).toBe('queued');
        expect(await bells.getJob(`${job.id}-${job.runAt}`)).toBeUndefined();
        expect(await waitForJob(h.queue, job.id, user, ['completed', 'failed'])).toMatchObject({ state: 'completed', result: { n: 42 }, attempts: 1 });
      });

      it('moves a doorbell the worker cannot take yet to later, and rings again a second after a failed claim', async () => {
        const prefix = `test-${newId().slice(-12)}`;
        const doorbells = createDoorbells({ url: redisUrl, prefix, db: ctx.db, logger: createLogger('silent') });
        const takes: number[] = [];
        const steps: Array<'later' | 'throw' | 'run'> = ['later', 'throw', 'run'];
        // The sweep looks only for rows an hour overdue: none, so every take here comes from this test's doorbell.
        const source = doorbells.source({ concurrency: 1, lockMs: 5_000, sweepMs: 3_600_000, sweepGraceMs: 3_600_000 });
        try {
          await source.start(async (id) => {
            if (id !== 'bell-1') return null;
            takes.push(Date.now());
            const step = steps.shift();
            if (step === 'later') return { later: Date.now() + 300 };
            if (step === 'throw') throw new Error('the database went away');
            return null;
          });
          await doorbells.dispatch.ring([{ id: 'bell-1', type: 'test.echo', lane: 'interactive', run_at: Date.now() }]);
          await waitUntil('three takes of the doorbell', async () => takes.length === 3, 10_000);
          expect(takes[1]! - takes[0]!).toBeGreaterThanOrEqual(250);
          expect(takes[2]! - takes[1]!).toBeGreaterThanOrEqual(900);
          const own = new Queue('jobs', { connection: { url: redisUrl }, prefix });
          await waitUntil('the answered doorbell to be gone', async () => (await own.getJobCountByTypes('wait', 'delayed', 'active', 'prioritized')) === 0);
          await own.obliterate({ force: true });
          await own.close();
        } finally {
          await source.close();
          await doorbells.close();
        }
      });

      it('carries job signals between processes over Redis pub/sub, and its check says when Redis is gone', async () => {
        const logger = createLogger('silent');
        const prefix = `test-${newId().slice(-12)}`;
        const a = createRedisSignals({ url: redisUrl, prefix, logger });
        const b = createRedisSignals({ url: redisUrl, prefix, logger });
        const other = createRedisSignals({ url: redisUrl, prefix: `${prefix}-other`, logger });
        const gone = createRedisSignals({ url: 'redis://127.0.0.1:1', prefix, logger });
        try {
          await Promise.all([a.check(), b.check(), other.check()]);
          const seen: JobSignal[] = [];
          const elsewhere: JobSignal[] = [];
          b.subscribe((s) => seen.push(s));
          other.subscribe((s) => elsewhere.push(s));
          await a.publish({ kind: 'cancel', jobId: 'j1' });
          await waitUntil('the signal to arrive', async () => seen.length > 0);
          expect(seen).toEqual([{ kind: 'cancel', jobId: 'j1' }]);
          expect(elsewhere).toEqual([]);
          await expect(gone.check()).rejects.toThrow(/job signal subscriber is not subscribed/);
        } finally {
          await Promise.all([a.close(), b.close(), other.close(), gone.close()]);
        }
      });

      it('signals started while Redis is unreachable subscribe once it can be reached', async () => {
        const logger = createLogger('silent');
        const prefix = `test-${newId().slice(-12)}`;
        const real = new URL(redisUrl);
        const port = await freePort();
        // Nothing listens on `port` yet: the process starts while "Redis is down".
        const late = createRedisSignals({ url: `redis://127.0.0.1:${port}`, prefix, logger });
        const sender = createRedisSignals({ url: redisUrl, prefix, logger });
        const sockets = new Set<net.Socket>();
        const forwarder = net.createServer((client) => {
          const upstream = net.connect(Number(real.port || 6379), real.hostname);
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('error', () => {});
          }
          client.pipe(upstream).pipe(client);
        });
        try {
          await expect(late.check()).rejects.toThrow(/not subscribed/);
          const heard: JobSignal[] = [];
          late.subscribe((s) => heard.push(s));
          await new Promise<void>((resolve) => forwarder.listen(port, '127.0.0.1', resolve));
          await waitUntil('the late subscriber to be ready', async () => late.check().then(() => true, () => false), 15_000);
          await sender.publish({ kind: 'cancel', jobId: 'after-the-outage' });
          await waitUntil('the signal', async () => heard.length > 0);
          expect(heard).toEqual([{ kind: 'cancel', jobId: 'after-the-outage' }]);
        } finally {
          await Promise.all([late.close(), sender.close()]);
          for (const s of sockets) s.destroy();
          await new Promise((resolve) => forwarder.close(resolve));
        }
      }, 30_000);

      it('`mailhelper web` with REDIS_URL is ready only while Redis answers', async () => {
        const env = { DATABASE_URL: ctx.handle.url, NODE_ENV: 'development', MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };
        const readiness = async (redisAt: string) => {
          const port = await freePort();
          const server = await startServer(['web', '--port', String(port)], { ...env, REDIS_URL: redisAt, REDIS_PREFIX: `test-${newId().slice(-12)}` }, port);
          try {
            const res = await fetch(`${server.url}/readyz`);
            const body = (await res.json()) as { checks: { name: string; ok: boolean; error?: string }[] };
            return { status: res.status, queue: body.checks.find((c) => c.name === 'queue') };
          } finally {
            expect(await server.stop()).toBe(0);
          }
        };
        expect(await readiness(redisUrl)).toEqual({ status: 200, queue: { name: 'queue', ok: true } });
        const down = await readiness('redis://127.0.0.1:1');
        expect(down).toMatchObject({ status: 503, queue: { ok: false, error: expect.stringMatching(/job signal subscriber is not subscribed/) } });
      });

      it('`mailhelper worker` with REDIS_URL takes its jobs from BullMQ and leaves cleanly on SIGTERM', async () => {
        const prefix = `test-${newId().slice(-12)}`;
        // A database of its own: the harness's fixture jobs are no types of the real worker.
        const database = await createTestDatabase('postgres');
        const child = spawn(process.execPath, [cliPath, 'worker'], {
          env: cliEnv({
            DATABASE_URL: database.url,
            REDIS_URL: redisUrl,
            REDIS_PREFIX: prefix,
            NODE_ENV: 'development',
            MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
          }),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
        const own = new Queue('jobs', { connection: { url: redisUrl }, prefix });
        const client = new Redis(redisUrl);
        try {
          const started = Date.now();
          await waitUntil('the prune job to complete', async () =>
            database.db
              .selectFrom('job_runs')
              .select('id')
              .where('type', '=', 'jobs.prune-history')
              .where('state', '=', 'completed')
              .where('finished_at', '>=', started)
              .executeTakeFirst(),
          );
          // Only the worker uses this prefix: BullMQ's keys under it mean its jobs went through Redis.
          expect(await client.keys(`${prefix}:jobs:*`)).not.toEqual([]);
        } catch (err) {
          throw new Error(`${(err as Error).message}\nworker output:\n${output}`);
        } finally {
          child.kill('SIGTERM');
        }
        expect(await exited).toBe(0);
        await own.obliterate({ force: true });
        await own.close();
        client.disconnect();
        await database.close();
      });
    },
    { only: 'postgres' },
  );
}
