import { DelayedError, Queue, Worker } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Logger } from '../../observability/logger.js';
import type { DueJob, JobDispatch } from '../dispatch.js';
import type { JobSource, TakeJob } from '../embedded/worker.js';

/** The one BullMQ queue; its keys are `<prefix>:jobs:*`. */
const QUEUE = 'jobs';

export interface DoorbellOptions {
  url: string;
  prefix: string;
  db: Kysely<Database>;
  logger: Logger;
  now?: () => number;
}

export interface SourceOptions {
  concurrency: number;
  /** BullMQ's lock on a doorbell being worked on; a dead worker's doorbell is redelivered after it. */
  lockMs: number;
  /** How often overdue queued rows are looked for (a doorbell lost with a crash or a Redis restart). */
  sweepMs?: number;
  /** How overdue a queued row must be before the sweep rings for it again. */
  sweepGraceMs?: number;
}

export interface Doorbells {
  dispatch: JobDispatch;
  /** What a worker process takes its jobs from (`web` only rings). */
  source(options: SourceOptions): JobSource;
  check(): Promise<void>;
  /** Closes the producer; a started source is closed by its worker first (`stop`). */
  close(): Promise<void>;
}

/**
 * BullMQ carries doorbells, not jobs: each names a row of `jobs` (the record of ownership, state,
 * attempts and history for both back-ends) and nothing else. A worker that takes a doorbell claims
 * the row by the same rules as the embedded claim; when the row must wait (its owner at the cap, its
 * key busy, a retry not yet due) the doorbell moves to BullMQ's delayed set and no attempt is spent.
 * The doorbell's id is the row's id and `run_at`, so ringing twice for the same wait adds nothing.
 */
export function createDoorbells(options: DoorbellOptions): Doorbells {
  const now = options.now ?? Date.now;
  // Fail fast while Redis is away (an enqueue must not hang a request); the sweep rings later.
  const queue = new Queue(QUEUE, { connection: { url: options.url, enableOfflineQueue: false }, prefix: options.prefix });
  queue.on('error', (err) => options.logger.warn({ err }, 'job queue: Redis connection error'));
  let worker: Worker | null = null;
  let sweepTimer: NodeJS.Timeout | undefined;

  const ring = async (rows: readonly DueJob[]) => {
    if (rows.length === 0) return;
    const at = now();
    await queue.addBulk(
      rows.map((r) => ({
        name: r.type,
        data: { id: r.id },
        opts: {
          jobId: `${r.id}-${Number(r.run_at)}`,
          delay: Math.max(0, Number(r.run_at) - at),
          priority: r.lane === 'interactive' ? 1 : 2,
          removeOnComplete: true,
          removeOnFail: true,
        },
      })),
    );
  };

  const sweep = async (graceMs: number) => {
    const overdue = await options.db
      .selectFrom('jobs')
      .select(['id', 'type', 'lane', 'run_at'])
      .where('state', '=', 'queued')
      .where('run_at', '<=', now() - graceMs)
      .orderBy('run_at')
      .limit(500)
      .execute();
    await ring(overdue);
  };

  return {
    dispatch: { ring },
    source(sourceOptions) {
      return {
        async start(take: TakeJob) {
          worker = new Worker(
            QUEUE,
            async (bell, token) => {
              const id = (bell.data as { id?: unknown }).id;
              if (typeof id !== 'string') return;
              let later: number;
              try {
                const wait = await take(id);
                if (!wait) return;
                later = wait.later;
              } catch (err) {
                // The claim itself failed (the database away): ask again shortly rather than drop the doorbell.
                options.logger.warn({ err, jobId: id }, 'taking a job failed; its doorbell rings again in a second');
                later = now() + 1_000;
              }
              await bell.moveToDelayed(Math.max(later, now()), token);
              throw new DelayedError();
            },
            {
              connection: { url: options.url, maxRetriesPerRequest: null },
              prefix: options.prefix,
              concurrency: sourceOptions.concurrency,
              lockDuration: sourceOptions.lockMs,
              stalledInterval: sourceOptions.lockMs,
              // The row, not BullMQ, counts attempts: a doorbell may be redelivered any number of times.
              maxStalledCount: 1_000_000,
              removeOnComplete: { count: 0 },
              removeOnFail: { count: 0 },
            },
          );
          worker.on('error', (err) => options.logger.warn({ err }, 'job doorbell worker error'));
          await Promise.all([worker.waitUntilReady(), queue.waitUntilReady()]);
          const graceMs = sourceOptions.sweepGraceMs ?? 5_000;
          sweepTimer = setInterval(
            () => void sweep(graceMs).catch((err) => options.logger.warn({ err }, 'ringing for overdue jobs failed')),
            sourceOptions.sweepMs ?? 30_000,
          );
          await sweep(graceMs);
        },
        async close() {
          clearInterval(sweepTimer);
          await worker?.close();
        },
      };
    },
    async check() {
      await queue.getJobCounts('wait');
    },
    async close() {
      await queue.close();
    },
  };
}
