import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { JobNotFoundError, JobStateConflictError } from '../errors.js';
import { createSignalDispatch, type JobDispatch } from '../dispatch.js';
import type { JobRegistry } from '../registry.js';
import type { EnqueueOptions, JobEvent, JobQueue, JobStatus } from '../types.js';
import { cancelQueued, findJob, insertJob, listJobs, requestCancel, toStatus, type JobRow } from './job-repository.js';
import type { JobSignals } from './signals.js';

export interface EmbeddedQueueDeps {
  db: Kysely<Database>;
  registry: Pick<JobRegistry, 'validate'>;
  signals: Pick<JobSignals, 'publish'>;
  /** Defaults to waking the embedded workers through `signals`. */
  dispatch?: JobDispatch;
  now?: () => number;
}

/** The event a user's tabs get when one of their jobs ends; system jobs have no audience. */
export function terminalEvent(row: JobRow): JobEvent | null {
  if (!row.user_id) return null;
  const base = { userId: row.user_id, jobId: row.id, jobType: row.type };
  if (row.state === 'completed') return { type: 'job.completed', ...base, result: row.result ? JSON.parse(row.result) : null };
  if (row.state === 'failed' || row.state === 'cancelled') {
    return { type: 'job.failed', ...base, state: row.state, error: { code: row.error_code ?? 'UNKNOWN', message: row.error_message ?? '' } };
  }
  return null;
}

export interface EmbeddedQueue extends JobQueue {
  /** Cancel on behalf of an admin: any owner. */
  cancelAny(jobId: string): Promise<JobStatus>;
}

export function createEmbeddedQueue(deps: EmbeddedQueueDeps): EmbeddedQueue {
  const now = deps.now ?? Date.now;
  const dispatch = deps.dispatch ?? createSignalDispatch(deps.signals, now);

  const cancelRow = async (row: JobRow | undefined): Promise<JobStatus> => {
    if (!row) throw new JobNotFoundError();
    if (row.state === 'queued') {
      const cancelled = await deps.db.transaction().execute((trx) => cancelQueued(trx, row.id, now()));
      if (cancelled) {
        const event = terminalEvent(cancelled);
        // The row is cancelled either way; the event to the owner's tabs is best effort.
        if (event) await deps.signals.publish({ kind: 'event', event }).catch(() => {});
        return toStatus(cancelled);
      }
      // It started between our read and the update: stop it while it runs.
      return cancelRow(await findJob(deps.db, row.id));
    }
    if (row.state === 'active') {
      // If the signal cannot be sent, the worker still sees the request at its next heartbeat.
      if (await requestCancel(deps.db, row.id, now())) await deps.signals.publish({ kind: 'cancel', jobId: row.id }).catch(() => {});
      return toStatus((await findJob(deps.db, row.id)) ?? row);
    }
    throw new JobStateConflictError(`The job has already ${row.state === 'completed' ? 'completed' : 'ended'}`, row.state);
  };

  return {
    async enqueue(type, payload, options: EnqueueOptions) {
      const { definition, payload: parsed } = deps.registry.validate(type, payload);
      const at = now();
      const row = await insertJob(
        deps.db,
        {
          type,
          payload: parsed,
          payloadVersion: definition.payloadVersion,
          userId: options.userId,
          lane: options.lane ?? definition.lane,
          key: options.key ?? null,
          maxAttempts: options.maxAttempts ?? definition.maxAttempts,
          runAt: at + Math.max(0, options.delayMs ?? 0),
        },
        at,
      );
      // The row is the record: a doorbell or wake that fails now is rung by the workers' sweep or poll.
      await dispatch.ring([row]).catch(() => {});
      return toStatus(row);
    },
    async status(jobId, userId) {
      const row = await findJob(deps.db, jobId, userId);
      if (!row) throw new JobNotFoundError();
      return toStatus(row);
    },
    async cancel(jobId, userId) {
      return cancelRow(await findJob(deps.db, jobId, userId));
    },
    async cancelAny(jobId) {
      return cancelRow(await findJob(deps.db, jobId));
    },
    async list(userId, options = {}) {
      return (await listJobs(deps.db, { userId, state: options.state, limit: options.limit, after: options.after })).map(toStatus);
    },
  };
}
