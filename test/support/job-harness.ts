import { spawn, type ChildProcess } from 'node:child_process';
import { Queue } from 'bullmq';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { newId } from '../../src/db/ids.js';
import { createDoorbells, createRedisSignals, type Doorbells } from '../../src/jobs/bullmq/index.js';
import { createEmbeddedQueue } from '../../src/jobs/embedded/queue.js';
import { createMemorySignals, createPgSignals, type JobSignals } from '../../src/jobs/embedded/signals.js';
import { PermanentError, TransientError } from '../../src/jobs/errors.js';
import { assertFence } from '../../src/jobs/leases.js';
import { createJobRegistry, defineJob } from '../../src/jobs/registry.js';
import type { JobQueue, JobState, JobStatus } from '../../src/jobs/types.js';
import { createLogger } from '../../src/observability/logger.js';
import { createFixtureTables, fixtureDefinitions } from '../integration/jobs/fixtures/handlers.mjs';
import { projectRoot } from './build.js';
import { cliEnv } from './cli.js';
import type { TestDatabase } from './db.js';

const workerEntry = path.join(projectRoot, 'test/integration/jobs/fixtures/worker.mjs');

/** The fixture job types built on src/ (for in-process tests and for validating enqueues). */
export function fixtureJobDefinitions(db: Kysely<any>) {
  return fixtureDefinitions({ z, defineJob, TransientError, PermanentError, assertFence }, db);
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * What the contract suite needs from a back-end: a queue to enqueue on, worker processes it can
 * start, kill and stop, and the database the fixture handlers record into. A BullMQ harness
 * implements the same shape.
 */
export interface JobHarness {
  name: string;
  /** Several processes compete for jobs (PostgreSQL); one process owns everything (SQLite). */
  multiProcess: boolean;
  queue: JobQueue;
  db: Kysely<any>;
  workers: WorkerProcess[];
  /** BullMQ only: where the doorbells are. */
  redis: { url: string; prefix: string } | null;
  /** What this process hears from the workers (events for users' tabs), as a web process would. */
  signals: JobSignals;
  startWorker(): Promise<WorkerProcess>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  workers: number;
  env?: Record<string, string>;
  /** The BullMQ back-end (PostgreSQL only): doorbells and signals on this Redis, under a prefix of the harness's own. */
  redisUrl?: string;
}

export async function createEmbeddedHarness(name: string, database: TestDatabase, options: HarnessOptions): Promise<JobHarness> {
  await createFixtureTables(database.db);
  const logger = createLogger('silent');
  const redis = options.redisUrl ? { url: options.redisUrl, prefix: `test-${newId().slice(-12)}` } : null;
  let doorbells: Doorbells | null = null;
  let signals: JobSignals;
  if (redis) {
    signals = createRedisSignals({ ...redis, logger });
    doorbells = createDoorbells({ ...redis, db: database.db, logger });
  } else {
    signals = database.dialect === 'sqlite' ? createMemorySignals() : createPgSignals({ url: database.url, db: database.db, logger });
  }
  const queue = createEmbeddedQueue({ db: database.db, registry: createJobRegistry(fixtureJobDefinitions(database.db)), signals, dispatch: doorbells?.dispatch });
  const workers: WorkerProcess[] = [];
  const redisEnv: Record<string, string> = redis ? { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix } : {};

  const startWorker = async (): Promise<WorkerProcess> => {
    const child = spawn(process.execPath, [workerEntry], {
      env: cliEnv({ DATABASE_URL: database.url, ...redisEnv, ...options.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!out.includes('ready ')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`worker did not start: ${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const w = { child, pid: child.pid!, output: () => out, exited };
    workers.push(w);
    return w;
  };

  for (let i = 0; i < options.workers; i++) await startWorker();
  return {
    name,
    multiProcess: database.dialect === 'postgres',
    queue,
    db: database.db,
    workers,
    redis,
    signals,
    startWorker,
    async close() {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await signals.close();
      await doorbells?.close();
      if (redis) {
        // The harness's keys go with it (the worker processes are gone by now).
        const leftovers = new Queue('jobs', { connection: { url: redis.url }, prefix: redis.prefix });
        await leftovers.obliterate({ force: true });
        await leftovers.close();
      }
    },
  };
}

/** Waits until the job reaches one of `states` (the suite's only way of waiting: no fixed sleeps). */
export async function waitForJob(queue: JobQueue, jobId: string, userId: string, states: JobState[], timeoutMs = 20_000): Promise<JobStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await queue.status(jobId, userId);
    if (states.includes(s.state)) return s;
    if (Date.now() > deadline) throw new Error(`job ${jobId} stayed ${s.state} (waited for ${states.join('/')}): ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function jobEvents(db: Kysely<any>, jobId: string): Promise<{ kind: string; pid: number; attempt: number; at: number }[]> {
  const rows = await db.selectFrom('test_events').selectAll().where('job_id', '=', jobId).orderBy('at').execute();
  return rows.map((r: any) => ({ kind: r.kind, pid: Number(r.pid), attempt: Number(r.attempt), at: Number(r.at) }));
}

export async function createUser(db: Kysely<any>, role: 'admin' | 'user' = 'user'): Promise<string> {
  const id = newId();
  const now = Date.now();
  await db
    .insertInto('users')
    .values({ id, username: `u-${id}`, role, password_hash: 'x', created_at: now, updated_at: now, password_changed_at: now })
    .execute();
  return id;
}
