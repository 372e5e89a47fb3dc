import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Logger } from '../observability/logger.js';
import type { JobLane, JobQueue } from './types.js';

/** One periodic job: `key` names the schedule and is the job's mutual-exclusion key (e.g. an account id). */
export interface ScheduleEntry {
  key: string;
  type: string;
  payload: unknown;
  userId: string | null;
  intervalMs: number;
  lane?: JobLane;
}

export interface SchedulerDeps {
  db: Kysely<Database>;
  queue: Pick<JobQueue, 'enqueue'>;
  entries: () => Promise<ScheduleEntry[]>;
  logger: Logger;
  now?: () => number;
  random?: () => number;
  /** ± fraction of the interval, so many accounts with the same interval do not sync in lockstep. */
  jitter?: number;
}

export interface TickResult {
  enqueued: string[];
  /** Due, but a job for the key is still queued or running: never two at once. */
  skipped: string[];
}

export interface Scheduler {
  tick(): Promise<TickResult>;
  start(everyMs: number): void;
  stop(): Promise<void>;
}

/**
 * Each schedule's next due time lives in job_schedules. A process runs a due tick only if its
 * compare-and-set on next_run_at wins, so several processes never enqueue the same tick twice.
 */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const jitter = deps.jitter ?? 0.1;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();

  const tickOne = async (entry: ScheduleEntry, at: number): Promise<'enqueued' | 'skipped' | 'not-due'> => {
    await deps.db
      .insertInto('job_schedules')
      .values({ key: entry.key, type: entry.type, next_run_at: at, updated_at: at })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await deps.db.selectFrom('job_schedules').select('next_run_at').where('key', '=', entry.key).executeTakeFirstOrThrow();
    const due = Number(row.next_run_at);
    if (due > at) return 'not-due';
    // Keep the cadence from the due time, unless we are more than an interval behind (after downtime).
    const base = at - due < entry.intervalMs ? due : at;
    const next = Math.round(base + entry.intervalMs * (1 + jitter * (2 * random() - 1)));
    const won = await deps.db
      .updateTable('job_schedules')
      .set({ next_run_at: Math.max(next, at + 1), updated_at: at, type: entry.type })
      .where('key', '=', entry.key)
      .where('next_run_at', '=', due)
      .executeTakeFirst();
    if (Number(won.numUpdatedRows) !== 1) return 'not-due';
    const open = await deps.db
      .selectFrom('jobs')
      .select('id')
      .where('key', '=', entry.key)
      .where('type', '=', entry.type)
      .where('state', 'in', ['queued', 'active'])
      .executeTakeFirst();
    if (open) return 'skipped';
    await deps.queue.enqueue(entry.type, entry.payload, { userId: entry.userId, key: entry.key, lane: entry.lane });
    return 'enqueued';
  };

  const tick = async (): Promise<TickResult> => {
    const result: TickResult = { enqueued: [], skipped: [] };
    const at = now();
    for (const entry of await deps.entries()) {
      try {
        const r = await tickOne(entry, at);
        if (r === 'enqueued') result.enqueued.push(entry.key);
        else if (r === 'skipped') result.skipped.push(entry.key);
      } catch (err) {
        deps.logger.error({ err, scheduleType: entry.type }, 'scheduling a periodic job failed');
      }
    }
    return result;
  };

  return {
    tick,
    start(everyMs) {
      const run = () => {
        current = current.then(tick).catch((err) => deps.logger.error({ err }, 'scheduler tick failed'));
      };
      run();
      timer = setInterval(run, everyMs);
    },
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
