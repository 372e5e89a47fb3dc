import type { Selectable } from 'kysely';
import type { Executor, FolderRole, FoldersTable } from '../db/schema.js';

export type FolderRow = Selectable<FoldersTable>;

export interface NewFolderRow {
  id: string;
  path: Buffer;
  pathHash: Buffer;
  delimiter: string | null;
  role: FolderRole | null;
  synced: boolean;
  messages: number;
  unseen: number;
}

/** Every query is scoped by user and account: a folder id from another user finds nothing. */
export const foldersRepository = {
  async listForAccount(ex: Executor, userId: string, accountId: string, options: { includeGone?: boolean } = {}): Promise<FolderRow[]> {
    let q = ex.selectFrom('folders').selectAll().where('user_id', '=', userId).where('account_id', '=', accountId);
    if (!options.includeGone) q = q.where('is_gone', '=', 0);
    return q.orderBy('created_at').orderBy('id').execute();
  },

  async insert(ex: Executor, userId: string, accountId: string, f: NewFolderRow, now: number): Promise<void> {
    await ex
      .insertInto('folders')
      .values({
        id: f.id,
        user_id: userId,
        account_id: accountId,
        path: f.path,
        path_hash: f.pathHash,
        delimiter: f.delimiter,
        role: f.role,
        is_synced: f.synced ? 1 : 0,
        is_gone: 0,
        message_count: f.messages,
        unseen_count: f.unseen,
        created_at: now,
        updated_at: now,
      })
      .execute();
  },

  /** What the server said about a folder we know; the user's sync choice stays as it is. */
  async updateListing(
    ex: Executor,
    userId: string,
    id: string,
    f: { delimiter: string | null; role: FolderRole | null; messages: number; unseen: number },
    now: number,
  ): Promise<void> {
    await ex
      .updateTable('folders')
      .set({ delimiter: f.delimiter, role: f.role, message_count: f.messages, unseen_count: f.unseen, is_gone: 0, updated_at: now })
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .execute();
  },

  async markGone(ex: Executor, userId: string, ids: string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await ex.updateTable('folders').set({ is_gone: 1, updated_at: now }).where('user_id', '=', userId).where('id', 'in', ids).execute();
  },

  async setSynced(ex: Executor, userId: string, accountId: string, ids: string[], synced: boolean, now: number): Promise<number> {
    if (ids.length === 0) return 0;
    const res = await ex
      .updateTable('folders')
      .set({ is_synced: synced ? 1 : 0, updated_at: now })
      .where('user_id', '=', userId)
      .where('account_id', '=', accountId)
      .where('id', 'in', ids)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  },
};
