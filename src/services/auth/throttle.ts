import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { throttleRepository } from '../../repositories/throttle.js';

/** Failures older than this no longer count. */
const FAILURE_MEMORY_MS = 15 * 60_000;
const FREE_FAILURES = 3;
const MAX_DELAY_MS = 5 * 60_000;

/** No delay for the first three failures, then 1 s, 2 s, 4 s … up to five minutes. */
export function delayAfter(failures: number): number {
  if (failures <= FREE_FAILURES) return 0;
  return Math.min(1000 * 2 ** (failures - FREE_FAILURES - 1), MAX_DELAY_MS);
}

export interface RateRule {
  bucket: string;
  limit: number;
  windowMs: number;
}

/** The same answer for every key, so a throttled reply reveals nothing about whether an account exists. */
function throttled(retryAfterMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError('TOO_MANY_ATTEMPTS', `Too many attempts; try again in ${seconds} s`, 429, { retryAfterSeconds: seconds });
}

/** Progressive delays per account and per IP, and per-IP rate limits, kept in the database for all processes. */
export function createThrottle(deps: { db: Kysely<Database>; now: () => number }) {
  const { db, now } = deps;
  return {
    /** Refuses the attempt if any of the keys is still waiting out its delay. */
    async assertAllowed(keys: string[]): Promise<void> {
      const t = now();
      let wait = 0;
      for (const key of keys) {
        const row = await throttleRepository.get(db, key);
        if (row && row.last_failure_at > t - FAILURE_MEMORY_MS && row.next_allowed_at > t) wait = Math.max(wait, row.next_allowed_at - t);
      }
      if (wait > 0) throw throttled(wait);
    },

    async recordFailure(keys: string[]): Promise<number> {
      let most = 0;
      for (const key of keys) most = Math.max(most, await throttleRepository.recordFailure(db, key, now(), FAILURE_MEMORY_MS, delayAfter));
      return most;
    },

    async clear(key: string): Promise<void> {
      await throttleRepository.clear(db, key);
    },

    /** Counts a request against a fixed-window limit per IP; refuses above the limit. */
    async hit(rule: RateRule, ip: string): Promise<void> {
      const t = now();
      const { hits, windowStart } = await throttleRepository.hit(db, `rate:${rule.bucket}:${ip}`, t, rule.windowMs);
      if (hits > rule.limit) throw new AppError('RATE_LIMITED', 'Too many requests; slow down', 429, {
        retryAfterSeconds: Math.max(1, Math.ceil((windowStart + rule.windowMs - t) / 1000)),
      });
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;

export const rateRules = {
  login: { bucket: 'login', limit: 30, windowMs: 60_000 },
  setup: { bucket: 'setup', limit: 10, windowMs: 60_000 },
  invitation: { bucket: 'invitation', limit: 20, windowMs: 60_000 },
} satisfies Record<string, RateRule>;
