import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobQueue } from '../../../src/jobs/types.js';
import { describeEachDialect, type TestDatabase } from '../../support/db.js';
import { serviceMissing } from '../../support/services.js';
import { createEmbeddedHarness, createUser, jobEvents, waitForJob, waitUntil, type JobHarness, type WorkerProcess } from '../../support/job-harness.js';

/**
 * The job queue contract. Every back-end runs it: SQLite with its one process, PostgreSQL with
 * three competing worker processes, and PostgreSQL with BullMQ doorbells on Redis (three
 * processes). Workers run the real worker loop from dist/ with the fixture job types in
 * ./fixtures. Lease 1.5 s, poll 100 ms, backoff base 200 ms, shutdown grace 2 s, 2 jobs per
 * process, 2 per user.
 */
describeEachDialect('job queue contract', (ctx) => contract(ctx, null));

const redis = inject('redis');
const redisState = 'error' in redis ? serviceMissing(redis.error) : 'ok';
if (redisState === 'skip') {
  describe.skip('job queue contract, BullMQ [redis]', () => it('needs Redis'));
} else if (redisState === 'fail') {
  describe('job queue contract, BullMQ [redis]', () => it('has Redis', () => {
    throw new Error('error' in redis ? redis.error : 'Redis unavailable');
  }));
} else {
  describeEachDialect('job queue contract, BullMQ', (ctx) => contract(ctx, (redis as { url: string }).url), { only: 'postgres' });
}

function contract(ctx: { readonly handle: TestDatabase; readonly db: TestDatabase['db']; dialect: string }, redisUrl: string | null): void {
  let h: JobHarness;
  let user: string;
  let queue: JobQueue;

  beforeAll(async () => {
    h = await createEmbeddedHarness(`${redisUrl ? 'bullmq' : 'embedded'}-${ctx.dialect}`, ctx.handle, {
      workers: ctx.dialect === 'postgres' ? 3 : 1,
      env: { JOBS_CONCURRENCY: '2', JOBS_PER_USER_CAP: '2', TEST_GRACE_MS: '2000' },
      redisUrl: redisUrl ?? undefined,
    });
    queue = h.queue;
    user = await createUser(ctx.db);
  }, 60_000);
  afterAll(async () => h?.close());

  const runningOn = async (jobId: string): Promise<WorkerProcess> => {
    const start = await waitUntil('the job to start', async () => (await jobEvents(h.db, jobId)).find((e) => e.kind === 'start'));
    return h.workers.find((w) => w.pid === start.pid)!;
  };
  const replace = async (w: WorkerProcess) => {
    await w.exited;
    h.workers.splice(h.workers.indexOf(w), 1);
    await h.startWorker();
  };

  it('runs a job to completion with its progress, result and one history row', async () => {
    const job = await queue.enqueue('test.echo', { n: 7 }, { userId: user });
    expect(job).toMatchObject({ state: 'queued', lane: 'interactive', attempts: 0 });
    const done = await waitForJob(queue, job.id, user, ['completed', 'failed']);
    expect(done).toMatchObject({ state: 'completed', result: { n: 7 }, progress: { done: 1, total: 1 }, attempts: 1, error: null });
    const runs = await h.db.selectFrom('job_runs').selectAll().where('job_id', '=', job.id).execute();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ type: 'test.echo', user_id: user, lane: 'interactive', state: 'completed' });
  });

  it('refuses an unknown type or an invalid payload at enqueue, with a clear code', async () => {
    await expect(queue.enqueue('test.nope', {}, { userId: user })).rejects.toMatchObject({ code: 'JOB_TYPE_UNKNOWN', status: 400 });
    await expect(queue.enqueue('test.echo', { n: 'seven' }, { userId: user })).rejects.toMatchObject({
      code: 'JOB_PAYLOAD_INVALID',
      details: { type: 'test.echo', issues: [expect.objectContaining({ path: 'n' })] },
    });
  });

  it('retries transient errors with growing backoff up to the limit, then fails with the last reason', async () => {
    const recovers = await queue.enqueue('test.flaky', { failTimes: 2 }, { userId: user });
    const givesUp = await queue.enqueue('test.flaky', { failTimes: 9 }, { userId: user, maxAttempts: 3 });
    expect(await waitForJob(queue, recovers.id, user, ['completed', 'failed'])).toMatchObject({ state: 'completed', attempts: 3, result: { attempt: 3 } });
    const failed = await waitForJob(queue, givesUp.id, user, ['completed', 'failed']);
    expect(failed).toMatchObject({ state: 'failed', attempts: 3, error: { code: 'FLAKY', message: 'attempt 3 hit a flaky server' } });
    // Equal jitter: retry n waits at least half of base·2^(n-1) — a lower bound the queue guarantees through run_at.
    const starts = (await jobEvents(h.db, givesUp.id)).filter((e) => e.kind === 'start');
    expect(starts.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(starts[1]!.at - starts[0]!.at).toBeGreaterThanOrEqual(100);
    expect(starts[2]!.at - starts[1]!.at).toBeGreaterThanOrEqual(200);
    const runs = await h.db.selectFrom('job_runs').selectAll().where('job_id', '=', givesUp.id).execute();
    expect(runs).toMatchObject([{ state: 'failed', attempts: 3, error_code: 'FLAKY' }]);
  });

  it('fails a permanent error at once, with its reason', async () => {
    const job = await queue.enqueue('test.flaky', { permanent: true }, { userId: user, maxAttempts: 5 });
    const failed = await waitForJob(queue, job.id, user, ['completed', 'failed']);
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'BAD_INPUT', message: 'the input was rejected' } });
  });

  it('enforces the per-type time limit through the AbortSignal', async () => {
    const job = await queue.enqueue('test.limited', {}, { userId: user });
    const failed = await waitForJob(queue, job.id, user, ['completed', 'failed']);
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'JOB_TIMEOUT' } });
    await waitUntil('the handler to see its signal abort', async () => (await jobEvents(h.db, job.id)).some((e) => e.kind === 'aborted:JOB_TIMEOUT'));
  });

  it('cancels a queued job before it starts, and a running job through its signal', async () => {
    const queued = await queue.enqueue('test.sleep', { ms: 10 }, { userId: user, delayMs: 60_000 });
    expect(await queue.cancel(queued.id, user)).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } });

    const running = await queue.enqueue('test.sleep', { ms: 60_000 }, { userId: user });
    await runningOn(running.id);
    await queue.cancel(running.id, user);
    expect(await waitForJob(queue, running.id, user, ['cancelled', 'completed', 'failed'])).toMatchObject({ state: 'cancelled' });
    await waitUntil('the handler to see the cancel', async () => (await jobEvents(h.db, running.id)).some((e) => e.kind === 'aborted:CANCELLED'));
    expect(await jobEvents(h.db, queued.id)).toEqual([]);
    await expect(queue.cancel(running.id, user)).rejects.toMatchObject({ code: 'JOB_STATE_CONFLICT' });
  });

  it('another user cannot see or cancel a job: it answers like a missing one', async () => {
    const other = await createUser(ctx.db);
    const job = await queue.enqueue('test.echo', { n: 1 }, { userId: user });
    expect((await queue.status(job.id, user)).id).toBe(job.id);
    await expect(queue.status(job.id, other)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND', status: 404 });
    await expect(queue.cancel(job.id, other)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect((await queue.list(other)).map((j) => j.id)).not.toContain(job.id);
  });

  it('runs a delayed job no earlier than its delay', async () => {
    const job = await queue.enqueue('test.echo', { n: 2 }, { userId: user, delayMs: 800 });
    expect((await queue.status(job.id, user)).state).toBe('queued');
    const done = await waitForJob(queue, job.id, user, ['completed']);
    expect(done.startedAt! - done.createdAt).toBeGreaterThanOrEqual(800);
  });

  it('runs one job per key at a time across all processes; a busy key costs no attempt', async () => {
    const keys = ['acct-a', 'acct-b', 'acct-c'];
    await h.db.insertInto('test_counter').values(keys.map((key) => ({ key, current: 0, max_seen: 0, runs: 0 }))).execute();
    const owners = await Promise.all(keys.map(() => createUser(ctx.db)));
    const jobs: { id: string; owner: string }[] = [];
    // In blocks per key, so free slots would pick up the same key together if exclusion failed.
    for (let i = 0; i < 24; i++) {
      const k = Math.floor(i / 8);
      jobs.push({ id: (await queue.enqueue('test.keyed', { holdMs: 60 }, { userId: owners[k]!, key: keys[k]! })).id, owner: owners[k]! });
    }
    for (const j of jobs) expect(await waitForJob(queue, j.id, j.owner, ['completed', 'failed'], 40_000)).toMatchObject({ state: 'completed', attempts: 1 });
    const counters = await h.db.selectFrom('test_counter').selectAll().orderBy('key').execute();
    expect(counters.map((c: any) => [c.key, Number(c.runs), Number(c.max_seen), Number(c.current)])).toEqual(keys.map((k) => [k, 8, 1, 0]));
  }, 60_000);

  it('a worker whose lease was taken over cannot commit (PostgreSQL: several processes)', async (t) => {
    if (!h.multiProcess) t.skip('needs several processes; SQLite runs one (the fence itself is tested in leases.test.ts)');
    const job = await queue.enqueue('test.stall', { stallMs: 4000 }, { userId: user, key: 'acct-stall' });
    const done = await waitForJob(queue, job.id, user, ['completed', 'failed']);
    expect(done).toMatchObject({ state: 'completed', attempts: 2 });
    await waitUntil('the stalled worker to be fenced off', async () => (await jobEvents(h.db, job.id)).some((e) => e.kind === 'fenced:LEASE_LOST' && e.attempt === 1));
    const writes = await h.db.selectFrom('test_writes').selectAll().where('job_id', '=', job.id).execute();
    expect(writes.map((w: any) => Number(w.attempt))).toEqual([2]);
  }, 30_000);

  it("serves a user's interactive job while another user's 100 bulk jobs are queued", async () => {
    const busy = await createUser(ctx.db);
    const bulk: string[] = [];
    for (let i = 0; i < 100; i++) bulk.push((await queue.enqueue('test.sleep', { ms: 300 }, { userId: busy })).id);
    await waitUntil('the bulk user to start', async () => (await queue.list(busy, { state: 'active' })).length > 0);
    const click = await queue.enqueue('test.echo', { n: 3 }, { userId: user });
    expect(await waitForJob(queue, click.id, user, ['completed'])).toMatchObject({ state: 'completed' });
    const states = await h.db.selectFrom('jobs').select('state').where('user_id', '=', busy).execute();
    const count = (s: string) => states.filter((r: any) => r.state === s).length;
    expect(count('queued')).toBeGreaterThanOrEqual(90);
    expect(count('active')).toBeLessThanOrEqual(2); // the per-user cap, across every process
    for (const id of bulk) await queue.cancel(id, busy).catch(() => {});
    await waitUntil('the bulk jobs to settle', async () => (await queue.list(busy, { state: 'active' })).length === 0);
  }, 60_000);

  it('SIGTERM lets a running job finish within the grace period', async () => {
    const job = await queue.enqueue('test.sleep', { ms: 400 }, { userId: user });
    const w = await runningOn(job.id);
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    const done = await waitForJob(queue, job.id, user, ['completed', 'failed', 'queued']);
    expect(done).toMatchObject({ state: 'completed', attempts: 1 });
    expect((await jobEvents(h.db, job.id)).map((e) => [e.kind, e.pid])).toEqual([
      ['start', w.pid],
      ['end', w.pid],
    ]);
    await replace(w);
  });

  it('SIGTERM past the grace period hands the job back; it runs again without spending an attempt', async () => {
    const job = await queue.enqueue('test.sleep', { ms: 50, longFirstRun: true }, { userId: user });
    const w = await runningOn(job.id);
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    await replace(w);
    const done = await waitForJob(queue, job.id, user, ['completed', 'failed']);
    expect(done).toMatchObject({ state: 'completed', attempts: 1, result: { slept: 50 } });
    const events = await jobEvents(h.db, job.id);
    expect(events.map((e) => e.kind)).toEqual(['start', 'aborted:SHUTDOWN', 'start', 'end']);
    expect(events[0]!.pid).toBe(w.pid);
  });

  it('SIGKILL mid-job: the job runs again (PostgreSQL: after its lease expires; SQLite: on restart)', async () => {
    const job = await queue.enqueue('test.sleep', { ms: 1500 }, { userId: user });
    const w = await runningOn(job.id);
    w.child.kill('SIGKILL');
    await replace(w);
    const done = await waitForJob(queue, job.id, user, ['completed', 'failed']);
    expect(done).toMatchObject({ state: 'completed', attempts: 2 });
    const starts = (await jobEvents(h.db, job.id)).filter((e) => e.kind === 'start');
    expect(starts).toHaveLength(2);
    expect(starts[0]!.pid).toBe(w.pid);
    expect(starts[1]!.pid).not.toBe(w.pid);
  });
}
