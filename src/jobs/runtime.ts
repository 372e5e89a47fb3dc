import fs from 'node:fs';
import { sql } from 'kysely';
import type { Config } from '../config/index.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Logger } from '../observability/logger.js';
import { createJobAdmin, type JobAdmin } from './admin.js';
import type { Doorbells } from './bullmq/index.js';
import { createSignalDispatch } from './dispatch.js';
import { createEmbeddedQueue, type EmbeddedQueue } from './embedded/queue.js';
import { createMemorySignals, createPgSignals, type JobSignals } from './embedded/signals.js';
import { createEmbeddedWorker, defaultLeaseMs, type EmbeddedWorker, type WorkerOptions } from './embedded/worker.js';
import { createJobDefinitions, systemSchedules, type HandlerDeps } from './handlers/index.js';
import { createJobRegistry, type JobDefinition, type JobRegistry } from './registry.js';
import { createScheduler, type ScheduleEntry, type Scheduler } from './scheduler.js';

export interface JobsRuntime {
  queue: EmbeddedQueue;
  admin: JobAdmin;
  signals: JobSignals;
  registry: JobRegistry;
  /** Null on `web`: it only enqueues and streams events. */
  worker: EmbeddedWorker | null;
  scheduler: Scheduler | null;
  /** The readiness check "queue". */
  check(): Promise<void>;
  /** Stops the scheduler and the worker (running jobs get `graceMs`), then the signal listener. */
  close(graceMs: number): Promise<void>;
}

export interface OpenJobsOptions {
  config: Pick<Config, 'database' | 'jobs'> & Partial<Pick<Config, 'redisUrl' | 'redisPrefix'>>;
  database: DatabaseHandle;
  logger: Logger;
  role: 'serve' | 'web' | 'worker';
  /** Replaces the production handlers (the contract suite's fixture types). */
  definitions?: JobDefinition[];
  /** What the production handlers need beyond the database (mail sync). */
  handlers?: Omit<HandlerDeps, 'db'>;
  schedules?: () => Promise<ScheduleEntry[]>;
  worker?: Partial<Omit<WorkerOptions, 'version'>>;
  schedulerEveryMs?: number;
  /** BullMQ only: how often and how late the workers ring again for queued rows whose doorbell was lost. */
  sweep?: { everyMs?: number; graceMs?: number };
}

export const packageVersion: string = (() => {
  try {
    return JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
})();

/**
 * The jobs of one process. The `jobs` table is the record in every mode; what wakes the workers
 * differs: SQLite (one serve, woken in memory), PostgreSQL (LISTEN/NOTIFY, workers claim from the
 * table), PostgreSQL with REDIS_URL (BullMQ doorbells, signals over Redis pub/sub).
 */
export async function openJobs(options: OpenJobsOptions): Promise<JobsRuntime> {
  const { database, logger, config } = options;
  const db = database.db;
  const signalLog = logger.child({ part: 'job-signals' });
  let signals: JobSignals;
  let doorbells: Doorbells | null = null;
  if (config.redisUrl && database.dialect === 'postgres') {
    const bullmq = await import('./bullmq/index.js');
    const redis = { url: config.redisUrl, prefix: config.redisPrefix ?? 'mailhelper' };
    signals = bullmq.createRedisSignals({ ...redis, logger: signalLog });
    doorbells = bullmq.createDoorbells({ ...redis, db, logger: logger.child({ part: 'job-doorbells' }) });
  } else {
    signals = database.dialect === 'sqlite' ? createMemorySignals() : createPgSignals({ url: config.database.url, db, logger: signalLog });
  }
  const dispatch = doorbells?.dispatch ?? createSignalDispatch(signals);
  let queueRef: EmbeddedQueue | null = null;
  const lateQueue = () => {
    if (!queueRef) throw new Error('job queue not open yet');
    return queueRef;
  };
  const registry = createJobRegistry(options.definitions ?? createJobDefinitions({ db, queue: lateQueue, ...options.handlers }));
  const queue = createEmbeddedQueue({ db, registry, signals, dispatch });
  queueRef = queue;
  const admin = createJobAdmin({ db, queue, signals, dispatch, registry });

  let worker: EmbeddedWorker | null = null;
  let scheduler: Scheduler | null = null;
  if (options.role !== 'web') {
    const concurrency = options.worker?.concurrency ?? config.jobs.concurrency;
    const source = doorbells?.source({
      concurrency,
      lockMs: options.worker?.leaseMs ?? defaultLeaseMs,
      sweepMs: options.sweep?.everyMs,
      sweepGraceMs: options.sweep?.graceMs,
    });
    worker = createEmbeddedWorker(
      { db, dialect: database.dialect, registry, signals, dispatch, logger },
      {
        concurrency,
        perUserCap: config.jobs.perUserCap,
        reclaimOnStart: database.dialect === 'sqlite',
        version: packageVersion,
        ...options.worker,
        source,
      },
    );
    await worker.start();
    const extra = options.schedules;
    scheduler = createScheduler({
      db,
      queue,
      logger,
      entries: async () => [...(options.definitions ? [] : systemSchedules.filter((e) => registry.get(e.type))), ...(extra ? await extra() : [])],
    });
    scheduler.start(options.schedulerEveryMs ?? 5_000);
  }

  return {
    queue,
    admin,
    signals,
    registry,
    worker,
    scheduler,
    async check() {
      await signals.check();
      await doorbells?.check();
      await sql`select 1 from jobs limit 1`.execute(db);
    },
    async close(graceMs) {
      await scheduler?.stop();
      await worker?.stop(graceMs);
      await signals.close();
      await doorbells?.close();
    },
  };
}
