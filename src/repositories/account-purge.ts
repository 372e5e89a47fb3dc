import type { Executor } from '../db/schema.js';
import { recountThreads } from './threads.js';

/** One kind of local data of an account, deleted a batch at a time so no transaction grows huge. */
export interface PurgeStep {
  name: string;
  deleteBatch(ex: Executor, userId: string, accountId: string, limit: number): Promise<number>;
}

/**
 * What removing an account deletes, children before parents. New per-account tables (messages,
 * copies, pending operations …) add their step in front of `folders`; the account row goes last.
 */
export const accountPurgeSteps: PurgeStep[] = [
  // A message takes its copies, chunks, attachments, tombstones, addresses, tags, corrections and
  // pending operations with it (ON DELETE CASCADE). Threads have no account: the ones the batch
  // touched are recounted, and those left without messages go (their keys with them).
  { name: 'messages', deleteBatch: deleteMessageBatch },
  // Sync runs would go with the account row (cascade); deleting them here keeps that step small.
  { name: 'sync_runs', deleteBatch: (ex, userId, accountId, limit) => deleteAccountRows(ex, 'sync_runs', userId, accountId, limit) },
  { name: 'folders', deleteBatch: (ex, userId, accountId, limit) => deleteAccountRows(ex, 'folders', userId, accountId, limit) },
];

async function deleteMessageBatch(ex: Executor, userId: string, accountId: string, limit: number): Promise<number> {
  const rows = await ex
    .selectFrom('messages')
    .select(['id', 'thread_id'])
    .where('user_id', '=', userId)
    .where('account_id', '=', accountId)
    .limit(limit)
    .execute();
  if (rows.length === 0) return 0;
  const res = await ex
    .deleteFrom('messages')
    .where('user_id', '=', userId)
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .executeTakeFirst();
  const threadIds = rows.flatMap((r) => (r.thread_id ? [r.thread_id] : []));
  await recountThreads(ex, userId, threadIds, Date.now());
  return Number(res.numDeletedRows);
}

/** Deletes up to `limit` rows of one per-account table; the number deleted (0 when none are left). */
async function deleteAccountRows(ex: Executor, table: 'folders' | 'sync_runs', userId: string, accountId: string, limit: number): Promise<number> {
  const ids = await ex.selectFrom(table).select('id').where('user_id', '=', userId).where('account_id', '=', accountId).limit(limit).execute();
  if (ids.length === 0) return 0;
  const res = await ex
    .deleteFrom(table)
    .where('user_id', '=', userId)
    .where(
      'id',
      'in',
      ids.map((r) => r.id),
    )
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
