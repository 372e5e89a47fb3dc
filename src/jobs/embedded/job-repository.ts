import type { Selectable } from 'kysely';
import type { Executor, JobsTable } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import type { JobError, JobLane, JobState, JobStatus } from '../types.js';

export type JobRow = Selectable<JobsTable>;

/** Every terminal state goes through here, so history (job_runs) never misses one. */
export type TerminalState = 'completed' | 'failed' | 'cancelled';

export function toStatus(row: JobRow): JobStatus {
  return {
    id: row.id,
    type: row.type,
    state: row.state,
    lane: row.lane,
    userId: row.user_id,
    key: row.key,
    progress: row.progress ? JSON.parse(row.progress) : null,
    result: row.result ? JSON.parse(row.result) : null,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    cancelRequested: Number(row.cancel_requested) === 1,
    runAt: Number(row.run_at),
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? null : Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

export interface NewJob {
  type: string;
  payload: unknown;
  payloadVersion: number;
  userId: string | null;
  lane: JobLane;
  key: string | null;
  maxAttempts: number;
  runAt: number;
}

export async function insertJob(ex: Executor, job: NewJob, now: number): Promise<JobRow> {
  return ex
    .insertInto('jobs')
    .values({
      id: newId(),
      type: job.type,
      payload: JSON.stringify(job.payload),
      payload_version: job.payloadVersion,
      user_id: job.userId,
      lane: job.lane,
      key: job.key,
      state: 'queued',
      cancel_requested: 0,
      attempts: 0,
      max_attempts: job.maxAttempts,
      run_at: job.runAt,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `userId` undefined means any owner (admin views); a malformed id is simply not found. */
export async function findJob(ex: Executor, id: string, userId?: string): Promise<JobRow | undefined> {
  if (!uuidShape.test(id)) return undefined;
  let q = ex.selectFrom('jobs').selectAll().where('id', '=', id.toLowerCase());
  if (userId !== undefined) q = q.where('user_id', '=', userId);
  return q.executeTakeFirst();
}

export interface JobFilter {
  userId?: string;
  state?: JobState;
  type?: string;
  limit?: number;
  /** Cursor: rows strictly after this one in (created_at desc, id desc) order. */
  after?: { createdAt: number; id: string };
}

export async function listJobs(ex: Executor, filter: JobFilter): Promise<JobRow[]> {
  let q = ex.selectFrom('jobs').selectAll();
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.type) q = q.where('type', '=', filter.type);
  const after = filter.after;
  if (after) {
    q = q.where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]));
  }
  return q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(filter.limit ?? 50, 1), 500))
    .execute();
}

/** Writes the history row for a job that just reached a terminal state. */
export async function recordRun(ex: Executor, row: JobRow): Promise<void> {
  if (row.state !== 'completed' && row.state !== 'failed' && row.state !== 'cancelled') return;
  const finished = Number(row.finished_at ?? row.updated_at);
  await ex
    .insertInto('job_runs')
    .values({
      id: newId(),
      job_id: row.id,
      type: row.type,
      user_id: row.user_id,
      lane: row.lane,
      state: row.state,
      attempts: Number(row.attempts),
      error_code: row.error_code,
      error_message: row.error_message,
      created_at: Number(row.created_at),
      started_at: row.started_at,
      finished_at: finished,
      duration_ms: row.started_at === null ? null : finished - Number(row.started_at),
    })
    .execute();
}

/** Cancels a job that has not started; undefined when it is not queued (any more). */
export async function cancelQueued(ex: Executor, id: string, now: number): Promise<JobRow | undefined> {
  const row = await ex
    .updateTable('jobs')
    .set({ state: 'cancelled', error_code: 'CANCELLED', error_message: 'cancelled before it started', finished_at: now, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'queued')
    .returningAll()
    .executeTakeFirst();
  if (row) await recordRun(ex, row);
  return row;
}

export async function requestCancel(ex: Executor, id: string, now: number): Promise<boolean> {
  const res = await ex
    .updateTable('jobs')
    .set({ cancel_requested: 1, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'active')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** The attempt a worker owns: finishing or renewing is conditional on it, so a reclaimed job is never finished twice. */
export interface Ownership {
  id: string;
  workerId: string;
  attempt: number;
  /** Reclaiming only: the lock must still be expired when the update runs (a late heartbeat wins). */
  lockExpiredBefore?: number;
}

/** Renews the job's lock; null when this worker no longer owns the attempt. */
export async function renewJobLock(ex: Executor, own: Ownership, expiresAt: number): Promise<{ cancelRequested: boolean } | null> {
  const row = await ex
    .updateTable('jobs')
    .set({ lock_expires_at: expiresAt })
    .where('id', '=', own.id)
    .where('locked_by', '=', own.workerId)
    .where('attempts', '=', own.attempt)
    .where('state', '=', 'active')
    .returning('cancel_requested')
    .executeTakeFirst();
  return row ? { cancelRequested: Number(row.cancel_requested) === 1 } : null;
}

export async function saveProgress(ex: Executor, own: Ownership, progress: string, now: number): Promise<boolean> {
  const res = await ex
    .updateTable('jobs')
    .set({ progress, updated_at: now })
    .where('id', '=', own.id)
    .where('locked_by', '=', own.workerId)
    .where('attempts', '=', own.attempt)
    .where('state', '=', 'active')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export type Outcome =
  | { state: 'completed'; result: Record<string, unknown> | null }
  | { state: 'failed' | 'cancelled'; error: JobError }
  | { state: 'retry'; error: JobError; runAt: number }
  /** Shutdown past the grace period: back to the queue without spending the attempt. */
  | { state: 'handback' };

/**
 * Ends the attempt the worker owns. Returns the updated row, or undefined when the worker had lost
 * the job (reclaimed after its lock expired, or handed to someone else): then nothing is written.
 */
export async function finishAttempt(ex: Executor, own: Ownership, outcome: Outcome, now: number): Promise<JobRow | undefined> {
  let owned = ex
    .updateTable('jobs')
    .where('id', '=', own.id)
    .where('locked_by', '=', own.workerId)
    .where('attempts', '=', own.attempt)
    .where('state', '=', 'active');
  if (own.lockExpiredBefore !== undefined) owned = owned.where('lock_expires_at', '<', own.lockExpiredBefore);
  const unlock = { locked_by: null, lock_expires_at: null, updated_at: now };
  let row: JobRow | undefined;
  if (outcome.state === 'completed') {
    row = await owned
      .set({ ...unlock, state: 'completed', result: outcome.result ? JSON.stringify(outcome.result) : null, error_code: null, error_message: null, finished_at: now })
      .returningAll()
      .executeTakeFirst();
  } else if (outcome.state === 'failed' || outcome.state === 'cancelled') {
    row = await owned
      .set({ ...unlock, state: outcome.state, error_code: outcome.error.code, error_message: outcome.error.message, finished_at: now })
      .returningAll()
      .executeTakeFirst();
  } else {
    const requeue =
      outcome.state === 'retry'
        ? { state: 'queued' as const, run_at: outcome.runAt, error_code: outcome.error.code, error_message: outcome.error.message }
        : { state: 'queued' as const, run_at: now, attempts: own.attempt - 1, started_at: null };
    row = await owned.where('cancel_requested', '=', 0).set({ ...unlock, ...requeue }).returningAll().executeTakeFirst();
    if (!row) {
      // Cancel was asked for while it ran: it ends cancelled instead of going back to the queue.
      row = await owned
        .where('cancel_requested', '=', 1)
        .set({ ...unlock, state: 'cancelled', error_code: 'CANCELLED', error_message: 'cancelled while running', finished_at: now })
        .returningAll()
        .executeTakeFirst();
    }
  }
  if (row) await recordRun(ex, row);
  return row;
}

/** How an attempt ends whose worker stopped heart-beating: cancelled if asked, else retried while attempts remain. */
export function lostWorkerOutcome(row: Pick<JobRow, 'attempts' | 'max_attempts' | 'cancel_requested'>, now: number): Outcome {
  const error = { code: 'WORKER_LOST', message: 'the worker running this job stopped responding' };
  if (Number(row.cancel_requested) === 1) return { state: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled while running' } };
  if (Number(row.attempts) >= Number(row.max_attempts)) return { state: 'failed', error };
  return { state: 'retry', error, runAt: now };
}

/**
 * Jobs whose worker stopped heart-beating (killed, stalled) go back to the queue, or fail when they
 * have used every attempt; returns every row it changed (queued again or ended). `ownedByOthers`
 * (SQLite at start): every active job belongs to a dead process, so it is reclaimed at once instead
 * of after its lock expires.
 */
export async function reclaimExpired(ex: Executor, now: number, ownedByOthers?: string): Promise<JobRow[]> {
  let q = ex.selectFrom('jobs').select(['id', 'attempts', 'max_attempts', 'cancel_requested', 'locked_by']).where('state', '=', 'active');
  q = ownedByOthers ? q.where('locked_by', '!=', ownedByOthers) : q.where('lock_expires_at', '<', now);
  const stale = await q.execute();
  const changed: JobRow[] = [];
  for (const s of stale) {
    const own: Ownership = { id: s.id, workerId: s.locked_by ?? '', attempt: Number(s.attempts) };
    if (!ownedByOthers) own.lockExpiredBefore = now;
    const row = await finishAttempt(ex, own, lostWorkerOutcome(s, now), now);
    if (row) changed.push(row);
  }
  return changed;
}

/** Admin retry: a failed or cancelled job goes back to the queue with fresh attempts (history keeps the old run). */
export async function requeueFinished(ex: Executor, id: string, now: number): Promise<JobRow | undefined> {
  return ex
    .updateTable('jobs')
    .set({
      state: 'queued',
      attempts: 0,
      cancel_requested: 0,
      run_at: now,
      error_code: null,
      error_message: null,
      result: null,
      progress: null,
      started_at: null,
      finished_at: null,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('state', 'in', ['failed', 'cancelled'])
    .returningAll()
    .executeTakeFirst();
}

/** Retention: history and finished jobs older than `before` are deleted. */
export async function pruneFinished(ex: Executor, before: number): Promise<{ runs: number; jobs: number }> {
  const runs = await ex.deleteFrom('job_runs').where('finished_at', '<', before).executeTakeFirst();
  const jobs = await ex
    .deleteFrom('jobs')
    .where('state', 'in', ['completed', 'failed', 'cancelled'])
    .where('finished_at', '<', before)
    .executeTakeFirst();
  return { runs: Number(runs.numDeletedRows), jobs: Number(jobs.numDeletedRows) };
}

/** Queued and running jobs of one owner under a mutual-exclusion key (e.g. everything for an account), optionally of one type or state. */
export async function openJobIdsForKey(ex: Executor, key: string, userId: string, only: { type?: string; state?: 'queued' | 'active' } = {}): Promise<string[]> {
  let q = ex.selectFrom('jobs').select('id').where('key', '=', key).where('user_id', '=', userId).where('state', 'in', only.state ? [only.state] : ['queued', 'active']);
  if (only.type) q = q.where('type', '=', only.type);
  const rows = await q.execute();
  return rows.map((r) => r.id);
}
