import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { openJobIdsForKey } from '../../jobs/embedded/job-repository.js';
import { ACCOUNT_SYNC } from '../../jobs/handlers/account-sync.js';
import type { JobQueue } from '../../jobs/types.js';
import type { AccountsService } from '../accounts.js';

/** "Sync now": an interactive-lane job for the account, or the one already waiting or running. */
export function createSyncRequests(deps: { db: Kysely<Database>; queue: Pick<JobQueue, 'enqueue' | 'status'>; accounts: Pick<AccountsService, 'get'> }) {
  return {
    async syncNow(userId: string, accountId: string): Promise<{ jobId: string; status: string }> {
      const account = await deps.accounts.get(userId, accountId);
      if (account.syncState === 'deleting') throw new AppError('ACCOUNT_DELETING', 'The account is being removed', 409);
      // Only a sync counts: a write-back job under the same key does not fetch new mail.
      const [open] = await openJobIdsForKey(deps.db, accountId, userId, { type: ACCOUNT_SYNC });
      if (open) {
        const job = await deps.queue.status(open, userId);
        return { jobId: job.id, status: job.state };
      }
      const job = await deps.queue.enqueue(ACCOUNT_SYNC, { accountId }, { userId, key: accountId, lane: 'interactive' });
      return { jobId: job.id, status: job.state };
    },
  };
}

export type SyncRequests = ReturnType<typeof createSyncRequests>;
