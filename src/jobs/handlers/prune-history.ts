import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/schema.js';
import { pruneJobHistory } from '../history.js';
import { defineJob } from '../registry.js';

export const PRUNE_HISTORY = 'jobs.prune-history';

/** Daily maintenance: job history is kept for 30 days. */
export function pruneHistoryJob(deps: { db: Kysely<Database>; now?: () => number }) {
  return defineJob({
    type: PRUNE_HISTORY,
    payload: z.object({}).strict(),
    payloadVersion: 1,
    timeLimitMs: 5 * 60_000,
    maxAttempts: 3,
    lane: 'bulk',
    async run() {
      return pruneJobHistory(deps.db, (deps.now ?? Date.now)());
    },
  });
}
