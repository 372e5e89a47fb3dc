import type { Executor } from '../db/schema.js';

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
  // A message takes its copies, chunks, attachments and tombstones with it (ON DELETE CASCADE).
  { name: 'messages', deleteBatch: (ex, userId, accountId, limit) => deleteAccountRows(ex, 'messages', userId, accountId, limit) },
  { name: 'folders', deleteBatch: (ex, userId, accountId, limit) => deleteAccountRows(ex, 'folders', userId, accountId, limit) },
];

/** Deletes up to `limit` rows of one per-account table; the number deleted (0 when none are left). */
async function deleteAccountRows(ex: Executor, table: 'messages' | 'folders', userId: string, accountId: string, limit: number): Promise<number> {
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
