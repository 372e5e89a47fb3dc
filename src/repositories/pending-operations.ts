import type { Insertable, Selectable } from 'kysely';
import type { Executor, PendingKind, PendingOperationsTable } from '../db/schema.js';

/** Write-back operations (pending and failed), one row per copy and kind. Every query is scoped by user id. */

export type PendingRow = Selectable<PendingOperationsTable>;

const IN_SLICE = 500;

export async function findOp(ex: Executor, userId: string, copyId: string, kind: PendingKind): Promise<PendingRow | null> {
  const row = await ex
    .selectFrom('pending_operations')
    .selectAll()
    .where('user_id', '=', userId)
    .where('copy_id', '=', copyId)
    .where('kind', '=', kind)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return row ?? null;
}

export async function insertOp(ex: Executor, row: Insertable<PendingOperationsTable>): Promise<void> {
  await ex.insertInto('pending_operations').values(row).execute();
}

export async function updateOp(
  ex: Executor,
  userId: string,
  id: string,
  patch: Partial<Pick<PendingRow, 'want_set' | 'orig_set' | 'target_folder_id' | 'orig_folder_id' | 'orig_uidvalidity' | 'orig_uid' | 'state' | 'error_code' | 'updated_at'>>,
): Promise<void> {
  await ex.updateTable('pending_operations').set(patch).where('user_id', '=', userId).where('id', '=', id).execute();
}

export async function deleteOp(ex: Executor, userId: string, id: string): Promise<void> {
  await ex.deleteFrom('pending_operations').where('user_id', '=', userId).where('id', '=', id).execute();
}

/** A new action on a message clears the errors its earlier failed operations left. */
export async function deleteFailedOfMessages(ex: Executor, userId: string, messageIds: readonly string[]): Promise<void> {
  for (let i = 0; i < messageIds.length; i += IN_SLICE) {
    await ex
      .deleteFrom('pending_operations')
      .where('user_id', '=', userId)
      .where('state', '=', 'failed')
      .where('message_id', 'in', messageIds.slice(i, i + IN_SLICE))
      .execute();
  }
}

/** The pending operations of one account, oldest first (what a write-back run sends). */
export async function pendingOfAccount(ex: Executor, userId: string, accountId: string): Promise<PendingRow[]> {
  return ex
    .selectFrom('pending_operations')
    .selectAll()
    .where('user_id', '=', userId)
    .where('account_id', '=', accountId)
    .where('state', '=', 'pending')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function findOpById(ex: Executor, userId: string, id: string): Promise<PendingRow | null> {
  const row = await ex.selectFrom('pending_operations').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  return row ?? null;
}

/** Pending seen/flagged values per copy, which a sync lays over the server's flags. */
export async function pendingFlagsOf(ex: Executor, userId: string, copyIds: readonly string[]): Promise<Map<string, { seen?: boolean; flagged?: boolean }>> {
  const out = new Map<string, { seen?: boolean; flagged?: boolean }>();
  for (let i = 0; i < copyIds.length; i += IN_SLICE) {
    const rows = await ex
      .selectFrom('pending_operations')
      .select(['copy_id', 'kind', 'want_set'])
      .where('user_id', '=', userId)
      .where('state', '=', 'pending')
      .where('kind', 'in', ['seen', 'flagged'])
      .where('copy_id', 'in', copyIds.slice(i, i + IN_SLICE))
      .execute();
    for (const r of rows) {
      const entry = out.get(r.copy_id) ?? {};
      if (r.kind === 'seen') entry.seen = r.want_set === 1;
      else entry.flagged = r.want_set === 1;
      out.set(r.copy_id, entry);
    }
  }
  return out;
}

/** Which of these copies wait for a pending move (a sync must not delete or recreate them). */
export async function copiesWithPendingMove(ex: Executor, userId: string, copyIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < copyIds.length; i += IN_SLICE) {
    const rows = await ex
      .selectFrom('pending_operations')
      .select('copy_id')
      .where('user_id', '=', userId)
      .where('state', '=', 'pending')
      .where('kind', '=', 'location')
      .where('copy_id', 'in', copyIds.slice(i, i + IN_SLICE))
      .execute();
    for (const r of rows) out.add(r.copy_id);
  }
  return out;
}

/** Per message: whether anything is still pending, and the code of the last failure. */
export async function syncStateOf(ex: Executor, userId: string, messageIds: readonly string[]): Promise<Map<string, { pending: boolean; errorCode: string | null }>> {
  const out = new Map<string, { pending: boolean; errorCode: string | null }>();
  for (let i = 0; i < messageIds.length; i += IN_SLICE) {
    const rows = await ex
      .selectFrom('pending_operations')
      .select(['message_id', 'state', 'error_code', 'updated_at'])
      .where('user_id', '=', userId)
      .where('message_id', 'in', messageIds.slice(i, i + IN_SLICE))
      .orderBy('updated_at')
      .execute();
    for (const r of rows) {
      const entry = out.get(r.message_id) ?? { pending: false, errorCode: null };
      if (r.state === 'pending') entry.pending = true;
      else entry.errorCode = r.error_code;
      out.set(r.message_id, entry);
    }
  }
  return out;
}
