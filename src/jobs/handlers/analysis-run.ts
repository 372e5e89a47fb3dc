import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/schema.js';
import { accountsRepository } from '../../repositories/accounts.js';
import { analysePending, type AnalysePendingDeps } from '../../services/analysis/analyse-pending.js';
import { PermanentError } from '../errors.js';
import { defineJob } from '../registry.js';
import type { JobQueue } from '../types.js';

export const ANALYSIS_RUN = 'analysis.run';

/** The job key of an account's analysis run: one at a time per account, beside its sync. */
export const analysisKey = (accountId: string) => `analysis:${accountId}`;

/** Queues an analysis run for each of the user's accounts (their analyser signals changed). */
export async function queueAnalysisRuns(db: Kysely<Database>, queue: Pick<JobQueue, 'enqueue'>, userId: string): Promise<void> {
  for (const a of await accountsRepository.listForUser(db, userId)) {
    await queue.enqueue(ANALYSIS_RUN, { accountId: a.id }, { userId, key: analysisKey(a.id), lane: 'bulk' });
  }
}

/** Analyses the pending messages of one account in batches; whatever a crash leaves pending, the next run picks up. */
export function analysisRunJob(deps: AnalysePendingDeps) {
  return defineJob({
    type: ANALYSIS_RUN,
    payload: z.object({ accountId: z.string().uuid() }).strict(),
    payloadVersion: 1,
    timeLimitMs: 30 * 60_000,
    maxAttempts: 5,
    lane: 'bulk',
    async run(payload, ctx) {
      if (!ctx.userId || !ctx.lease) throw new PermanentError('JOB_MISCONFIGURED', 'analysis needs an owner and a key');
      return analysePending(deps, ctx.userId, payload.accountId, { limit: 100, lease: ctx.lease, signal: ctx.signal });
    },
  });
}
