import { sql } from 'kysely';
import type { Dialect, Executor } from '../../db/schema.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { acquireLease, type Lease } from '../leases.js';
import { finishAttempt, lostWorkerOutcome, type JobRow, type Ownership } from './job-repository.js';

export interface ClaimOptions {
  workerId: string;
  now: number;
  leaseMs: number;
  perUserCap: number;
  /** How long a job waits when its key is busy; no attempt is spent. */
  keyBusyDelayMs: number;
}

export type ClaimResult = { row: JobRow; lease: Lease | null } | null;

/** Candidates looked at per claim; enough to step over users at their cap and busy keys. */
const CANDIDATES = 20;

/**
 * Takes the next due job in one short transaction: interactive lane first, then oldest; skips paused
 * types and users at their cap of running jobs; takes the key's fenced lease or pushes the job back
 * a little (without spending an attempt). On PostgreSQL rows are claimed with FOR UPDATE SKIP LOCKED,
 * and a per-user advisory lock makes "count running, then claim" exact across processes.
 */
export async function claimNext(db: Kysely<Database>, dialect: Dialect, opts: ClaimOptions): Promise<ClaimResult> {
  return db.transaction().execute(async (trx) => {
    const paused = (await trx.selectFrom('job_type_pauses').select('type').execute()).map((r) => r.type);
    let q = trx
      .selectFrom('jobs')
      .select(['id', 'user_id', 'key'])
      .where('state', '=', 'queued')
      .where('run_at', '<=', opts.now)
      .where('cancel_requested', '=', 0)
      .where((eb) =>
        eb.or([
          eb('user_id', 'is', null),
          eb(
            eb.selectFrom('jobs as running').select((e) => e.fn.countAll().as('n')).whereRef('running.user_id', '=', 'jobs.user_id').where('running.state', '=', 'active'),
            '<',
            opts.perUserCap,
          ),
        ]),
      )
      .orderBy(sql`case when lane = 'interactive' then 0 else 1 end`)
      .orderBy('run_at')
      .orderBy('id')
      .limit(CANDIDATES);
    if (paused.length > 0) q = q.where('type', 'not in', paused);
    if (dialect === 'postgres') q = q.forUpdate().skipLocked();
    const candidates = await q.execute();

    for (const c of candidates) {
      if (c.user_id !== null && !(await userHasRoom(trx, dialect, c.user_id, opts.perUserCap))) continue;
      let lease: Lease | null = null;
      if (c.key !== null) {
        lease = await acquireLease(trx, c.key, `${opts.workerId}/${c.id}`, opts.leaseMs, opts.now);
        if (!lease) {
          await trx.updateTable('jobs').set({ run_at: opts.now + opts.keyBusyDelayMs, updated_at: opts.now }).where('id', '=', c.id).execute();
          continue;
        }
      }
      const row = await markActive(trx, c.id, opts);
      return { row, lease };
    }
    return null;
  });
}

async function userHasRoom(trx: Executor, dialect: Dialect, userId: string, cap: number): Promise<boolean> {
  if (dialect === 'postgres') {
    // Another process is claiming for this user right now: leave the user to it rather than wait.
    const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(hashtextextended(${userId}::text, 7)) as ok`.execute(trx);
    if (!rows[0]?.ok) return false;
  }
  const row = await trx
    .selectFrom('jobs')
    .select((e) => e.fn.countAll().as('n'))
    .where('user_id', '=', userId)
    .where('state', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(row.n) < cap;
}

export interface ClaimByIdOptions extends ClaimOptions {
  /** How long a job waits while its owner is at the cap of running jobs, or its type is paused. */
  busyDelayMs: number;
}

/** What became of one named job: it is ours now, it must be asked for again at `at`, or there is nothing to run. */
export type ClaimByIdResult =
  | { kind: 'claimed'; row: JobRow; lease: Lease | null }
  | { kind: 'later'; at: number }
  | { kind: 'ended'; row: JobRow | null };

/**
 * Claims the job a doorbell named (BullMQ), by the same rules as `claimNext`: due, not paused, the
 * owner under the cap, the key's fenced lease free. A job whose worker died (lock expired) is
 * reclaimed here first, as the poll would. Waiting never spends an attempt: the caller delays the
 * doorbell instead, and the row keeps its `run_at`.
 */
export async function claimById(db: Kysely<Database>, dialect: Dialect, jobId: string, opts: ClaimByIdOptions): Promise<ClaimByIdResult> {
  return db.transaction().execute(async (trx): Promise<ClaimByIdResult> => {
    let q = trx.selectFrom('jobs').selectAll().where('id', '=', jobId);
    if (dialect === 'postgres') q = q.forUpdate();
    let row = await q.executeTakeFirst();
    if (!row) return { kind: 'ended', row: null };
    if (row.state === 'active') {
      const expires = Number(row.lock_expires_at ?? 0);
      // A doorbell redelivered before the database lock ran out: ask again once it has.
      if (expires >= opts.now) return { kind: 'later', at: expires + 1 };
      const own: Ownership = { id: row.id, workerId: row.locked_by ?? '', attempt: Number(row.attempts), lockExpiredBefore: opts.now };
      const changed = await finishAttempt(trx, own, lostWorkerOutcome(row, opts.now), opts.now);
      if (!changed) return { kind: 'ended', row: null };
      if (changed.state !== 'queued') return { kind: 'ended', row: changed };
      row = changed;
    }
    if (row.state !== 'queued' || Number(row.cancel_requested) === 1) return { kind: 'ended', row: null };
    if (Number(row.run_at) > opts.now) return { kind: 'later', at: Number(row.run_at) };
    const paused = await trx.selectFrom('job_type_pauses').select('type').where('type', '=', row.type).executeTakeFirst();
    if (paused) return { kind: 'later', at: opts.now + opts.busyDelayMs };
    if (row.user_id !== null && !(await userHasRoom(trx, dialect, row.user_id, opts.perUserCap))) return { kind: 'later', at: opts.now + opts.busyDelayMs };
    let lease: Lease | null = null;
    if (row.key !== null) {
      lease = await acquireLease(trx, row.key, `${opts.workerId}/${row.id}`, opts.leaseMs, opts.now);
      if (!lease) return { kind: 'later', at: opts.now + opts.keyBusyDelayMs };
    }
    const claimed = await markActive(trx, row.id, opts);
    return { kind: 'claimed', row: claimed, lease };
  });
}

function markActive(trx: Executor, id: string, opts: ClaimOptions): Promise<JobRow> {
  return trx
    .updateTable('jobs')
    .set((eb) => ({
      state: 'active',
      attempts: eb('attempts', '+', 1),
      locked_by: opts.workerId,
      lock_expires_at: opts.now + opts.leaseMs,
      started_at: opts.now,
      updated_at: opts.now,
    }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
