import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { JobDispatch } from './dispatch.js';
import { JobNotFoundError, JobStateConflictError, JobTypeUnknownError } from './errors.js';
import { findJob, listJobs, requeueFinished, toStatus, type JobFilter } from './embedded/job-repository.js';
import type { EmbeddedQueue } from './embedded/queue.js';
import type { JobSignals } from './embedded/signals.js';
import { listWorkers } from './embedded/worker-repository.js';
import type { JobRegistry } from './registry.js';
import type { JobStatus } from './types.js';

/** What an admin sees of a job: metadata only — no payload, no result. */
export type JobMetadata = Omit<JobStatus, 'result'>;

function metadata(s: JobStatus): JobMetadata {
  const { result: _result, ...rest } = s;
  return rest;
}

export interface JobAdminDeps {
  db: Kysely<Database>;
  queue: Pick<EmbeddedQueue, 'cancelAny'>;
  signals: Pick<JobSignals, 'publish'>;
  dispatch: JobDispatch;
  registry: Pick<JobRegistry, 'get' | 'definitions'>;
  now?: () => number;
}

/** Operations on every user's jobs. Callers check that the acting user is an admin. */
export function createJobAdmin(deps: JobAdminDeps) {
  const now = deps.now ?? Date.now;
  return {
    async listJobs(filter: JobFilter): Promise<JobMetadata[]> {
      return (await listJobs(deps.db, filter)).map((r) => metadata(toStatus(r)));
    },
    async retry(jobId: string): Promise<JobMetadata> {
      const row = await findJob(deps.db, jobId);
      if (!row) throw new JobNotFoundError();
      const requeued = await requeueFinished(deps.db, row.id, now());
      if (!requeued) throw new JobStateConflictError('Only a failed or cancelled job can be retried', row.state);
      await deps.dispatch.ring([requeued]);
      return metadata(toStatus(requeued));
    },
    async cancel(jobId: string): Promise<JobMetadata> {
      return metadata(await deps.queue.cancelAny(jobId));
    },
    async setPaused(type: string, paused: boolean): Promise<void> {
      if (!deps.registry.get(type)) throw new JobTypeUnknownError(type);
      if (paused) {
        await deps.db
          .insertInto('job_type_pauses')
          .values({ type, paused_at: now() })
          .onConflict((oc) => oc.column('type').doNothing())
          .execute();
      } else {
        await deps.db.deleteFrom('job_type_pauses').where('type', '=', type).execute();
        await deps.signals.publish({ kind: 'wake' });
      }
    },
    async types() {
      const paused = new Set((await deps.db.selectFrom('job_type_pauses').select('type').execute()).map((r) => r.type));
      return deps.registry.definitions().map((d) => ({
        type: d.type,
        lane: d.lane,
        maxAttempts: d.maxAttempts,
        timeLimitMs: d.timeLimitMs,
        payloadVersion: d.payloadVersion,
        paused: paused.has(d.type),
      }));
    },
    async workers() {
      return (await listWorkers(deps.db)).map((w) => ({
        id: w.id,
        hostname: w.hostname,
        pid: Number(w.pid),
        version: w.version,
        concurrency: Number(w.concurrency),
        running: Number(w.running),
        startedAt: Number(w.started_at),
        heartbeatAt: Number(w.heartbeat_at),
      }));
    },
    async runs(filter: { userId?: string; type?: string; state?: 'completed' | 'failed' | 'cancelled'; limit?: number }) {
      let q = deps.db.selectFrom('job_runs').selectAll();
      if (filter.userId) q = q.where('user_id', '=', filter.userId);
      if (filter.type) q = q.where('type', '=', filter.type);
      if (filter.state) q = q.where('state', '=', filter.state);
      const rows = await q.orderBy('finished_at', 'desc').limit(Math.min(Math.max(filter.limit ?? 50, 1), 500)).execute();
      return rows.map((r) => ({
        id: r.id,
        jobId: r.job_id,
        type: r.type,
        userId: r.user_id,
        lane: r.lane,
        state: r.state,
        attempts: Number(r.attempts),
        error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
        createdAt: Number(r.created_at),
        startedAt: r.started_at === null ? null : Number(r.started_at),
        finishedAt: Number(r.finished_at),
        durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
      }));
    },
  };
}

export type JobAdmin = ReturnType<typeof createJobAdmin>;
