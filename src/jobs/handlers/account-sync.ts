import { z } from 'zod';
import type { AccountSync } from '../../services/sync/account-sync.js';
import { PermanentError } from '../errors.js';
import { defineJob } from '../registry.js';

export const ACCOUNT_SYNC = 'account.sync';

/** Syncs one account. Keyed by the account id, so one worker at a time holds its fenced lease. */
export function accountSyncJob(deps: { accountSync: AccountSync; afterSync?: (userId: string, accountId: string) => Promise<void> }) {
  return defineJob({
    type: ACCOUNT_SYNC,
    payload: z.object({ accountId: z.string().uuid() }).strict(),
    payloadVersion: 1,
    timeLimitMs: 30 * 60_000,
    maxAttempts: 5,
    lane: 'bulk',
    async run(payload, ctx) {
      if (!ctx.userId || !ctx.lease) throw new PermanentError('JOB_MISCONFIGURED', 'account sync needs an owner and a key');
      const result = await deps.accountSync.run(ctx.userId, payload.accountId, ctx as typeof ctx & { lease: NonNullable<typeof ctx.lease> });
      // A failure here (e.g. enqueueing write-back) does not fail the sync.
      await deps.afterSync?.(ctx.userId, payload.accountId).catch(() => undefined);
      return result;
    },
  });
}
