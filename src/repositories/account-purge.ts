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
export const accountPurgeSteps: PurgeStep[] = [{ name: 'folders', deleteBatch: foldersRepository.deleteBatch }];
