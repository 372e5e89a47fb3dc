import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/schema.js';
import { llmCacheRepository } from '../../repositories/ai.js';
import { pruneJobHistory } from '../history.js';
import { defineJob } from '../registry.js';

export const PRUNE_HISTORY = 'jobs.prune-history';

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_LLM_CACHE_RETENTION_DAYS = 30;

/** Daily maintenance: job history is kept for 30 days, cached LLM answers for `llmCacheRetentionDays`. */
export function pruneHistoryJob(deps: { db: Kysely<Database>; now?: () => number; llmCacheRetentionDays?: number }) {
  return defineJob({
    type: PRUNE_HISTORY,
    payload: z.object({}).strict(),
    payloadVersion: 1,
    timeLimitMs: 5 * 60_000,
    maxAttempts: 3,
    lane: 'bulk',
    async run() {
      const now = (deps.now ?? Date.now)();
      const history = await pruneJobHistory(deps.db, now);
      const llmCache = await llmCacheRepository.pruneBefore(deps.db, now - (deps.llmCacheRetentionDays ?? DEFAULT_LLM_CACHE_RETENTION_DAYS) * DAY_MS);
      return { ...history, llmCache };
    },
  });
}
