import { expect, it } from 'vitest';
import { claimById, type ClaimByIdOptions } from '../../../src/jobs/embedded/claim.js';
import { insertJob } from '../../../src/jobs/embedded/job-repository.js';
import { acquireLease } from '../../../src/jobs/leases.js';
import type { JobLane } from '../../../src/jobs/types.js';
import { insertTestUser } from '../../support/crypto.js';
import { describeEachDialect } from '../../support/db.js';

/**
 * What a BullMQ doorbell gets when it names a row: the embedded claim's rules for one job. Waiting
 * never spends an attempt; a dead worker's job is reclaimed on the spot.
 */
describeEachDialect('claiming a named job (BullMQ doorbells)', (ctx) => {
  const T = 1_800_000_000_000;
  const opts = (now: number, workerId = 'w1'): ClaimByIdOptions => ({ workerId, now, leaseMs: 1_000, perUserCap: 1, keyBusyDelayMs: 50, busyDelayMs: 200 });
  const job = async (userId: string | null, extra: { key?: string; runAt?: number; type?: string; lane?: JobLane; maxAttempts?: number } = {}) =>
    insertJob(ctx.db, { type: extra.type ?? 'jobs.prune-history', payload: {}, payloadVersion: 1, userId, lane: extra.lane ?? 'bulk', key: extra.key ?? null, maxAttempts: extra.maxAttempts ?? 2, runAt: extra.runAt ?? T }, T);

  it('claims a due job once; a second doorbell waits for the lock; a dead worker’s job is taken over', async () => {
    const user = await insertTestUser(ctx.db);
    const row = await job(user, { maxAttempts: 2 });
    const first = await claimById(ctx.db, ctx.dialect, row.id, opts(T));
    expect(first).toMatchObject({ kind: 'claimed', row: { state: 'active', attempts: 1, locked_by: 'w1' }, lease: null });
    // Redelivered while w1 still holds it: ask again once its lock has run out.
    expect(await claimById(ctx.db, ctx.dialect, row.id, opts(T + 10, 'w2'))).toEqual({ kind: 'later', at: T + 1_000 + 1 });
    // w1 died: its lock expired, so w2 reclaims the row (attempt 1 spent) and runs attempt 2.
    const taken = await claimById(ctx.db, ctx.dialect, row.id, opts(T + 2_000, 'w2'));
    expect(taken).toMatchObject({ kind: 'claimed', row: { attempts: 2, locked_by: 'w2', error_code: 'WORKER_LOST' } });
    // w2 died too, on the last attempt: the job fails, and the doorbell ends.
    const ended = await claimById(ctx.db, ctx.dialect, row.id, opts(T + 4_000, 'w3'));
    expect(ended).toMatchObject({ kind: 'ended', row: { state: 'failed', attempts: 2, error_code: 'WORKER_LOST' } });
    expect(await claimById(ctx.db, ctx.dialect, row.id, opts(T + 5_000))).toEqual({ kind: 'ended', row: null });
    expect(await claimById(ctx.db, ctx.dialect, '0190aaaa-0000-7000-8000-000000000000', opts(T))).toEqual({ kind: 'ended', row: null });
  });

  it('makes a job wait, without spending an attempt, until it is due, its type resumed, its owner under the cap and its key free', async () => {
    const user = await insertTestUser(ctx.db);
    const early = await job(user, { runAt: T + 5_000 });
    expect(await claimById(ctx.db, ctx.dialect, early.id, opts(T))).toEqual({ kind: 'later', at: T + 5_000 });

    await ctx.db.insertInto('job_type_pauses').values({ type: 'jobs.paused-type', paused_at: T }).execute();
    const paused = await job(user, { type: 'jobs.paused-type' });
    expect(await claimById(ctx.db, ctx.dialect, paused.id, opts(T))).toEqual({ kind: 'later', at: T + 200 });

    const running = await job(user);
    expect((await claimById(ctx.db, ctx.dialect, running.id, opts(T))).kind).toBe('claimed');
    const capped = await job(user);
    expect(await claimById(ctx.db, ctx.dialect, capped.id, opts(T))).toEqual({ kind: 'later', at: T + 200 });

    const other = await insertTestUser(ctx.db);
    expect(await acquireLease(ctx.db, 'acct-busy', 'someone', 10_000, T)).not.toBeNull();
    const keyed = await job(other, { key: 'acct-busy' });
    expect(await claimById(ctx.db, ctx.dialect, keyed.id, opts(T))).toEqual({ kind: 'later', at: T + 50 });
    const free = await job(other, { key: 'acct-free' });
    expect(await claimById(ctx.db, ctx.dialect, free.id, opts(T))).toMatchObject({ kind: 'claimed', lease: { key: 'acct-free' } });

    const waited = await ctx.db.selectFrom('jobs').select(['id', 'attempts', 'state']).where('id', 'in', [early.id, paused.id, capped.id, keyed.id]).execute();
    expect(waited.map((r) => [Number(r.attempts), r.state])).toEqual(waited.map(() => [0, 'queued']));
  });
});
