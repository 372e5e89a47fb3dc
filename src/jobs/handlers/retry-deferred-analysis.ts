import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/schema.js';
import { accountsWithDeferred } from '../../repositories/message-analysis.js';
import { defineJob } from '../registry.js';
import type { JobQueue } from '../types.js';
import { ANALYSIS_RUN, analysisKey } from './analysis-run.js';

export const RETRY_DEFERRED_ANALYSIS = 'analysis.retry-deferred';

/** Messages the daily LLM budget deferred; budgets are per UTC day, so a daily retry finds them fresh. */
export const BUDGET_DEFERRED = 'LLM_BUDGET_EXCEEDED';

/**
 * Daily: queues an analysis run for every account with messages the LLM budget left pending, so
 * they are refined once the budget has reset instead of waiting for the account's next new mail.
 */
export function retryDeferredAnalysisJob(deps: { db: Kysely<Database>; queue: () => Pick<JobQueue, 'enqueue'> }) {
  return defineJob({
    type: RETRY_DEFERRED_ANALYSIS,
    payload: z.object({}).strict(),
    payloadVersion: 1,
    timeLimitMs: 5 * 60_000,
    maxAttempts: 3,
    lane: 'bulk',
    async run() {
      const accounts = await accountsWithDeferred(deps.db, BUDGET_DEFERRED);
      for (const a of accounts) {
        await deps.queue().enqueue(ANALYSIS_RUN, { accountId: a.accountId }, { userId: a.userId, key: analysisKey(a.accountId), lane: 'bulk' });
      }
      return { accounts: accounts.length };
    },
  });
}
