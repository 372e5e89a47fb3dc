import { sql } from 'kysely';
import type { AuthThrottleTable, Executor } from '../db/schema.js';

/**
 * Counters shared by every process through the database: brute-force delays per account and per IP,
 * and fixed-window rate limits.
 */
export const throttleRepository = {
  async get(ex: Executor, key: string): Promise<AuthThrottleTable | undefined> {
    return ex.selectFrom('auth_throttle').selectAll().where('key', '=', key).executeTakeFirst();
  },

  async recordFailure(ex: Executor, key: string, now: number, resetAfterMs: number, delayFor: (failures: number) => number): Promise<number> {
    // Read-modify-write in one statement so concurrent failures are all counted.
    const row = await ex
      .insertInto('auth_throttle')
      .values({ key, failures: 1, last_failure_at: now, next_allowed_at: now + delayFor(1) })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql`case when auth_throttle.last_failure_at < ${now - resetAfterMs} then 1 else auth_throttle.failures + 1 end`,
          last_failure_at: now,
        }),
      )
      .returning('failures')
      .executeTakeFirstOrThrow();
    const failures = Number(row.failures);
    await ex.updateTable('auth_throttle').set({ next_allowed_at: now + delayFor(failures) }).where('key', '=', key).execute();
    return failures;
  },

  async clear(ex: Executor, key: string): Promise<void> {
    await ex.deleteFrom('auth_throttle').where('key', '=', key).execute();
  },

  /** Counts one hit in the current window and returns the hits so far in it. */
  async hit(ex: Executor, key: string, now: number, windowMs: number): Promise<{ hits: number; windowStart: number }> {
    const row = await ex
      .insertInto('rate_limits')
      .values({ key, window_start: now, hits: 1 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          hits: sql`case when rate_limits.window_start <= ${now - windowMs} then 1 else rate_limits.hits + 1 end`,
          window_start: sql`case when rate_limits.window_start <= ${now - windowMs} then ${now} else rate_limits.window_start end`,
        }),
      )
      .returning(['hits', 'window_start'])
      .executeTakeFirstOrThrow();
    return { hits: Number(row.hits), windowStart: Number(row.window_start) };
  },
};
