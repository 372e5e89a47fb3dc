import { expect, it } from 'vitest';
import { newId } from '../../../src/db/ids.js';
import { HISTORY_RETENTION_MS, pruneJobHistory } from '../../../src/jobs/history.js';
import { describeEachDialect } from '../../support/db.js';
import { createUser } from '../../support/job-harness.js';

const DAY = 24 * 60 * 60 * 1000;

describeEachDialect('job history retention', (ctx) => {
  it('keeps 30 days of history and finished jobs; running and queued jobs are never pruned', async () => {
    const user = await createUser(ctx.db);
    const now = 100 * DAY;
    const job = (state: 'queued' | 'completed' | 'failed', finishedAt: number | null) => ({
      id: newId(),
      type: 'demo.echo',
      payload: '{}',
      payload_version: 1,
      user_id: user,
      lane: 'bulk' as const,
      state,
      cancel_requested: 0,
      attempts: 1,
      max_attempts: 1,
      run_at: 0,
      created_at: 0,
      updated_at: 0,
      finished_at: finishedAt,
    });
    const old = job('completed', now - 31 * DAY);
    const recent = job('failed', now - 29 * DAY);
    const waiting = job('queued', null);
    await ctx.db.insertInto('jobs').values([old, recent, waiting]).execute();
    const run = (jobId: string, finishedAt: number) => ({
      id: newId(),
      job_id: jobId,
      type: 'demo.echo',
      user_id: user,
      lane: 'bulk',
      state: 'completed' as const,
      attempts: 1,
      created_at: 0,
      finished_at: finishedAt,
    });
    await ctx.db.insertInto('job_runs').values([run(old.id, now - 31 * DAY), run(recent.id, now - 29 * DAY)]).execute();

    expect(HISTORY_RETENTION_MS).toBe(30 * DAY);
    expect(await pruneJobHistory(ctx.db, now)).toEqual({ runs: 1, jobs: 1, workers: 0 });
    expect((await ctx.db.selectFrom('jobs').select('id').orderBy('id').execute()).map((r) => r.id).sort()).toEqual([recent.id, waiting.id].sort());
    expect((await ctx.db.selectFrom('job_runs').select('job_id').execute()).map((r) => r.job_id)).toEqual([recent.id]);
  });

  it('deleting a user deletes their jobs and history', async () => {
    const user = await createUser(ctx.db);
    await ctx.db
      .insertInto('jobs')
      .values({ id: newId(), type: 'demo.echo', payload: '{}', payload_version: 1, user_id: user, lane: 'bulk', state: 'queued', cancel_requested: 0, attempts: 0, max_attempts: 1, run_at: 0, created_at: 0, updated_at: 0 })
      .execute();
    await ctx.db.deleteFrom('users').where('id', '=', user).execute();
    expect(await ctx.db.selectFrom('jobs').select('id').where('user_id', '=', user).execute()).toEqual([]);
  });
});
