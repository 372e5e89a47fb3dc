import os from 'node:os';
import type { Kysely } from 'kysely';
import type { Database, Dialect } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import type { Logger } from '../../observability/logger.js';
import { defaultBackoff, retryDelayMs, type BackoffPolicy } from '../backoff.js';
import { classifyError, type ClassifiedError } from '../errors.js';
import { releaseLease, renewLease, type Lease } from '../leases.js';
import type { JobRegistry } from '../registry.js';
import type { JobContext, JobProgress } from '../types.js';
import { createSignalDispatch, type JobDispatch } from '../dispatch.js';
import { claimById, claimNext } from './claim.js';
import { finishAttempt, reclaimExpired, renewJobLock, saveProgress, type JobRow, type Outcome, type Ownership } from './job-repository.js';
import { terminalEvent } from './queue.js';
import type { JobSignals } from './signals.js';
import { heartbeatWorker, registerWorker, removeWorker } from './worker-repository.js';

export const defaultLeaseMs = 30_000;

export interface WorkerOptions {
  concurrency: number;
  perUserCap: number;
  /** How long a claimed job (and its key lease) stays ours without a heartbeat. */
  leaseMs?: number;
  /** Safety net for delayed jobs, expired leases and missed wake-ups. */
  pollMs?: number;
  keyBusyDelayMs?: number;
  /** Overrides every type's backoff (tests use milliseconds). */
  backoff?: BackoffPolicy;
  /** Doorbells only: how long a job waits while its owner is at the cap or its type is paused. */
  busyDelayMs?: number;
  /** SQLite: this is the only process, so jobs left active were orphaned by a previous run. */
  reclaimOnStart?: boolean;
  /** Where job ids come from (BullMQ); without one the worker claims from the table itself. */
  source?: JobSource;
  version: string;
}

/** What a doorbell asks of the worker: run this job now, or ring again at `later`. */
export type TakeJob = (jobId: string) => Promise<{ later: number } | null>;

/** Delivers job ids to `take`, at most `concurrency` at a time (BullMQ's worker). */
export interface JobSource {
  start(take: TakeJob): Promise<void>;
  /** Takes no more ids; resolves once every `take` in flight has returned. */
  close(): Promise<void>;
}

export interface WorkerDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  registry: Pick<JobRegistry, 'get'>;
  signals: JobSignals;
  /** Defaults to waking the embedded workers through `signals`. */
  dispatch?: JobDispatch;
  logger: Logger;
  now?: () => number;
  random?: () => number;
}

export interface EmbeddedWorker {
  readonly id: string;
  start(): Promise<void>;
  /** Stops claiming, lets running jobs finish for `graceMs`, then hands the rest back to the queue. */
  stop(graceMs: number): Promise<void>;
  running(): number;
}

/** Why a job's signal was aborted; decides how the attempt ends. */
export class StopReason extends Error {
  constructor(
    readonly code: 'JOB_TIMEOUT' | 'CANCELLED' | 'LEASE_LOST' | 'SHUTDOWN',
    message: string,
  ) {
    super(message);
    this.name = 'StopReason';
  }
}

interface RunningJob {
  own: Ownership;
  lease: Lease | null;
  controller: AbortController;
  done: Promise<void>;
}

export function createEmbeddedWorker(deps: WorkerDeps, options: WorkerOptions): EmbeddedWorker {
  const id = `${os.hostname()}-${process.pid}-${newId().slice(-12)}`;
  const now = deps.now ?? Date.now;
  const leaseMs = options.leaseMs ?? defaultLeaseMs;
  const pollMs = options.pollMs ?? 1_000;
  const keyBusyDelayMs = options.keyBusyDelayMs ?? 2_000;
  const busyDelayMs = options.busyDelayMs ?? 1_000;
  const dispatch = deps.dispatch ?? createSignalDispatch(deps.signals, now);
  const log = deps.logger.child({ worker: id });
  const running = new Map<string, RunningJob>();
  let stopping = false;
  let pumping = false;
  let pumpAgain = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let beatTimer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;

  const publishEnd = async (row: JobRow) => {
    const event = terminalEvent(row);
    if (event) await deps.signals.publish({ kind: 'event', event }).catch(() => {});
  };

  const pump = async (): Promise<void> => {
    if (stopping || options.source) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        while (!stopping && running.size < options.concurrency) {
          const claimed = await claimNext(deps.db, deps.dialect, {
            workerId: id,
            now: now(),
            leaseMs,
            perUserCap: options.perUserCap,
            keyBusyDelayMs,
          });
          if (!claimed) break;
          launch(claimed.row, claimed.lease);
        }
      } while (pumpAgain && !stopping);
    } catch (err) {
      log.error({ err }, 'claiming a job failed; retrying at the next poll');
    } finally {
      pumping = false;
    }
  };

  const take: TakeJob = async (jobId) => {
    // Shutting down: hand the doorbell straight back for another worker.
    if (stopping) return { later: now() };
    const claim = await claimById(deps.db, deps.dialect, jobId, { workerId: id, now: now(), leaseMs, perUserCap: options.perUserCap, keyBusyDelayMs, busyDelayMs });
    if (claim.kind === 'later') return { later: claim.at };
    if (claim.kind === 'ended') {
      if (claim.row) await publishEnd(claim.row);
      return null;
    }
    await launch(claim.row, claim.lease).done;
    return null;
  };

  const launch = (row: JobRow, lease: Lease | null): RunningJob => {
    const controller = new AbortController();
    const own: Ownership = { id: row.id, workerId: id, attempt: Number(row.attempts) };
    const job: RunningJob = { own, lease, controller, done: Promise.resolve() };
    running.set(row.id, job);
    job.done = execute(row, job)
      .catch((err) => log.error({ err, jobId: row.id }, 'finishing a job failed; its lock will expire and it will be retried'))
      .finally(() => {
        running.delete(row.id);
        if (lease) void releaseLease(deps.db, lease).catch(() => {});
        void pump();
      });
    return job;
  };

  const execute = async (row: JobRow, job: RunningJob): Promise<void> => {
    const jobLog = log.child({ jobId: row.id, jobType: row.type, attempt: job.own.attempt });
    const definition = deps.registry.get(row.type);
    const fail = (code: string, message: string): Outcome => ({ state: 'failed', error: { code, message } });
    let outcome: Outcome;
    if (!definition) {
      outcome = fail('JOB_TYPE_UNKNOWN', `this version has no handler for job type "${row.type}"`);
    } else if (Number(row.payload_version) !== definition.payloadVersion) {
      outcome = fail('JOB_PAYLOAD_VERSION', `payload version ${row.payload_version} is not the supported version ${definition.payloadVersion}`);
    } else {
      const parsed = definition.payload.safeParse(JSON.parse(row.payload));
      if (!parsed.success) {
        outcome = fail('JOB_PAYLOAD_INVALID', 'the stored payload no longer matches its schema');
      } else {
        const { signal } = job.controller;
        const timer = setTimeout(
          () => job.controller.abort(new StopReason('JOB_TIMEOUT', `the job exceeded its time limit of ${definition.timeLimitMs} ms`)),
          definition.timeLimitMs,
        );
        const ctx: JobContext = {
          jobId: row.id,
          userId: row.user_id,
          attempt: job.own.attempt,
          signal,
          lease: job.lease,
          progress: (counts) => reportProgress(row, job.own, counts),
        };
        const stopped = new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
        const work = Promise.resolve().then(() => definition.run(parsed.data, ctx));
        // A handler that ignores its signal is abandoned; its late rejection must not crash the process.
        work.catch(() => {});
        stopped.catch(() => {});
        try {
          const result = await Promise.race([work, stopped]);
          outcome = { state: 'completed', result: result ? (JSON.parse(JSON.stringify(result)) as Record<string, unknown>) : null };
        } catch (err) {
          outcome = failureOutcome(err, signal, job.own.attempt, Number(row.max_attempts), definition.backoff);
          if (outcome.state === 'failed' && !(err instanceof StopReason)) jobLog.warn({ err }, 'job failed');
        } finally {
          clearTimeout(timer);
        }
      }
    }
    const at = now();
    const ended = await deps.db.transaction().execute((trx) => finishAttempt(trx, job.own, outcome, at));
    if (!ended) {
      jobLog.warn('the job was taken over by another worker before it finished; its result was discarded');
      return;
    }
    jobLog.info({ state: ended.state, errorCode: ended.error_code }, 'job attempt ended');
    if (ended.state === 'queued') {
      await dispatch.ring([ended]).catch((err) => jobLog.warn({ err }, 'ringing for the requeued job failed; the sweep will'));
    } else {
      await publishEnd(ended);
    }
  };

  const failureOutcome = (err: unknown, signal: AbortSignal, attempt: number, maxAttempts: number, backoff?: BackoffPolicy): Outcome => {
    const reason = signal.aborted && signal.reason instanceof StopReason ? signal.reason : null;
    if (reason?.code === 'CANCELLED') return { state: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled while running' } };
    if (reason?.code === 'SHUTDOWN') return { state: 'handback' };
    const c = reason ? { transient: true, code: reason.code, message: reason.message } : classifyError(err);
    const error = { code: c.code, message: c.message };
    if (c.transient && attempt < maxAttempts) {
      const delay = retryDelayMs(attempt, options.backoff ?? backoff ?? defaultBackoff, deps.random, (c as ClassifiedError).backoffFactor ?? 1);
      return { state: 'retry', error, runAt: now() + delay };
    }
    return { state: 'failed', error };
  };

  const reportProgress = async (row: JobRow, own: Ownership, counts: JobProgress) => {
    const clean: JobProgress = {};
    for (const [k, v] of Object.entries(counts)) if (typeof v === 'number' && Number.isFinite(v)) clean[k] = v;
    if (!(await saveProgress(deps.db, own, JSON.stringify(clean), now()))) return;
    // The row holds the progress; the event to the owner's tabs is best effort and never fails the job.
    if (row.user_id) {
      await deps.signals
        .publish({ kind: 'event', event: { type: 'job.progress', userId: row.user_id, jobId: row.id, jobType: row.type, progress: clean } })
        .catch((err) => log.debug({ err, jobId: row.id }, 'progress event not delivered'));
    }
  };

  const heartbeat = async () => {
    const at = now();
    for (const job of running.values()) {
      try {
        const lock = await renewJobLock(deps.db, job.own, at + leaseMs);
        if (!lock) job.controller.abort(new StopReason('LEASE_LOST', 'the job was reclaimed after its lock expired'));
        else if (lock.cancelRequested) job.controller.abort(new StopReason('CANCELLED', 'cancelled while running'));
        else if (job.lease && !(await renewLease(deps.db, job.lease, leaseMs, at))) {
          job.controller.abort(new StopReason('LEASE_LOST', `the lease on ${job.lease.key} was taken over`));
        }
      } catch (err) {
        log.warn({ err, jobId: job.own.id }, 'heartbeat failed; retrying');
      }
    }
    await heartbeatWorker(deps.db, id, running.size, at).catch((err) => log.warn({ err }, 'worker heartbeat failed'));
  };

  const poll = async () => {
    try {
      const changed = await deps.db.transaction().execute((trx) => reclaimExpired(trx, now()));
      for (const row of changed) await publishEnd(row);
      await dispatch.ring(changed.filter((r) => r.state === 'queued'));
    } catch (err) {
      log.warn({ err }, 'reclaiming expired jobs failed');
    }
    await pump();
  };

  return {
    id,
    running: () => running.size,
    async start() {
      await registerWorker(deps.db, { id, hostname: os.hostname(), pid: process.pid, version: options.version, concurrency: options.concurrency }, now());
      if (options.reclaimOnStart) {
        const changed = await deps.db.transaction().execute((trx) => reclaimExpired(trx, now(), id));
        for (const row of changed) await publishEnd(row);
      }
      unsubscribe = deps.signals.subscribe((signal) => {
        if (signal.kind === 'wake') void pump();
        else if (signal.kind === 'cancel') running.get(signal.jobId)?.controller.abort(new StopReason('CANCELLED', 'cancelled while running'));
      });
      beatTimer = setInterval(() => void heartbeat(), Math.max(50, Math.floor(leaseMs / 3)));
      pollTimer = setInterval(() => void poll(), pollMs);
      await poll();
      await options.source?.start(take);
      log.info({ concurrency: options.concurrency }, 'job worker started');
    },
    async stop(graceMs) {
      if (stopping) return;
      stopping = true;
      clearInterval(pollTimer);
      unsubscribe?.();
      const sourceClosed = options.source?.close();
      const allDone = () => Promise.all([...running.values()].map((j) => j.done));
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([allDone(), new Promise((r) => (graceTimer = setTimeout(r, graceMs)))]);
      clearTimeout(graceTimer);
      if (running.size > 0) log.warn({ running: running.size }, 'grace period over; handing running jobs back to the queue');
      for (const job of running.values()) job.controller.abort(new StopReason('SHUTDOWN', 'the worker is shutting down'));
      await allDone();
      await sourceClosed?.catch((err) => log.warn({ err }, 'closing the job source failed'));
      clearInterval(beatTimer);
      await removeWorker(deps.db, id).catch(() => {});
      log.info('job worker stopped');
    },
  };
}
