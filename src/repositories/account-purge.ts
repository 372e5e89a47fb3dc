import type { Executor } from '../db/schema.js';
import { foldersRepository } from './folders.js';

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
  { name: 'messages', deleteBatch: deleteMessagesBatch },
  { name: 'folders', deleteBatch: foldersRepository.deleteBatch },
];

async function deleteMessagesBatch(ex: Executor, userId: string, accountId: string, limit: number): Promise<number> {
  const ids = await ex.selectFrom('messages').select('id').where('user_id', '=', userId).where('account_id', '=', accountId).limit(limit).execute();
  if (ids.length === 0) return 0;
  const res = await ex
    .deleteFrom('messages')
    .where('user_id', '=', userId)
    .where(
      'id',
      'in',
      ids.map((r) => r.id),
    )
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
