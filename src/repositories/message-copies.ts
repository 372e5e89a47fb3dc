import type { Insertable, Selectable } from 'kysely';
import type { CopyTombstonesTable, Executor, MessageCopiesTable } from '../db/schema.js';

/** Server copies of messages (folder, UIDVALIDITY, UID, flags) and tombstones of removed copies. */

export type CopyRow = Selectable<MessageCopiesTable>;

/** IN lists are cut into slices of this size to stay far below bind-parameter limits. */
const IN_SLICE = 500;

function slices<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_SLICE) out.push(items.slice(i, i + IN_SLICE));
  return out;
}

export async function findCopyByUid(ex: Executor, userId: string, folderId: string, uidvalidity: number, uid: number): Promise<CopyRow | null> {
  const row = await ex
    .selectFrom('message_copies')
    .selectAll()
    .where('user_id', '=', userId)
    .where('folder_id', '=', folderId)
    .where('uidvalidity', '=', uidvalidity)
    .where('uid', '=', uid)
    .executeTakeFirst();
  return row ?? null;
}

export async function copiesByUids(ex: Executor, userId: string, folderId: string, uidvalidity: number, uids: readonly number[]): Promise<CopyRow[]> {
  const out: CopyRow[] = [];
  for (const part of slices(uids)) {
    out.push(
      ...(await ex
        .selectFrom('message_copies')
        .selectAll()
        .where('user_id', '=', userId)
        .where('folder_id', '=', folderId)
        .where('uidvalidity', '=', uidvalidity)
        .where('uid', 'in', part)
        .execute()),
    );
  }
  return out;
}

/** Copies of a folder under any UIDVALIDITY other than the given one (stale after a UIDVALIDITY change). */
export async function staleCopies(ex: Executor, userId: string, folderId: string, uidvalidity: number): Promise<CopyRow[]> {
  return ex
    .selectFrom('message_copies')
    .selectAll()
    .where('user_id', '=', userId)
    .where('folder_id', '=', folderId)
    .where('uidvalidity', '<>', uidvalidity)
    .execute();
}

export async function knownUids(ex: Executor, userId: string, folderId: string, uidvalidity: number): Promise<number[]> {
  const rows = await ex
    .selectFrom('message_copies')
    .select('uid')
    .where('user_id', '=', userId)
    .where('folder_id', '=', folderId)
    .where('uidvalidity', '=', uidvalidity)
    .orderBy('uid')
    .execute();
  return rows.map((r) => r.uid);
}

export async function copiesByIds(ex: Executor, userId: string, ids: readonly string[]): Promise<CopyRow[]> {
  const out: CopyRow[] = [];
  for (const part of slices(ids)) out.push(...(await ex.selectFrom('message_copies').selectAll().where('user_id', '=', userId).where('id', 'in', part).execute()));
  return out;
}

export async function copiesOfMessage(ex: Executor, userId: string, messageId: string): Promise<CopyRow[]> {
  return ex.selectFrom('message_copies').selectAll().where('user_id', '=', userId).where('message_id', '=', messageId).orderBy('created_at').execute();
}

/** Whether the message already has a copy in the folder (any UIDVALIDITY). */
export async function hasCopyInFolder(ex: Executor, userId: string, messageId: string, folderId: string): Promise<boolean> {
  const row = await ex
    .selectFrom('message_copies')
    .select('id')
    .where('user_id', '=', userId)
    .where('message_id', '=', messageId)
    .where('folder_id', '=', folderId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertCopy(ex: Executor, row: Insertable<MessageCopiesTable>): Promise<void> {
  await ex.insertInto('message_copies').values(row).execute();
}

/** Copies in multi-row INSERTs. */
export async function insertCopies(ex: Executor, rows: readonly Insertable<MessageCopiesTable>[]): Promise<void> {
  for (const part of slices(rows)) if (part.length > 0) await ex.insertInto('message_copies').values(part).execute();
}

export async function updateCopyFlags(ex: Executor, userId: string, copyId: string, flags: string, modseq: number | null, now: number): Promise<void> {
  await ex.updateTable('message_copies').set({ flags, modseq, updated_at: now }).where('user_id', '=', userId).where('id', '=', copyId).execute();
}

export async function deleteCopies(ex: Executor, userId: string, copyIds: readonly string[]): Promise<void> {
  for (const part of slices(copyIds)) await ex.deleteFrom('message_copies').where('user_id', '=', userId).where('id', 'in', part).execute();
}

export async function insertTombstones(ex: Executor, rows: readonly Insertable<CopyTombstonesTable>[]): Promise<void> {
  for (const part of slices(rows)) if (part.length > 0) await ex.insertInto('copy_tombstones').values(part).execute();
}

export async function deleteTombstonesOf(ex: Executor, userId: string, messageId: string): Promise<void> {
  await ex.deleteFrom('copy_tombstones').where('user_id', '=', userId).where('message_id', '=', messageId).execute();
}

export async function hasTombstoneSince(ex: Executor, userId: string, messageId: string, since: number): Promise<boolean> {
  const row = await ex
    .selectFrom('copy_tombstones')
    .select('id')
    .where('user_id', '=', userId)
    .where('message_id', '=', messageId)
    .where('removed_at', '>=', since)
    .executeTakeFirst();
  return row !== undefined;
}

export async function deleteTombstonesBefore(ex: Executor, userId: string, before: number): Promise<number> {
  const res = await ex.deleteFrom('copy_tombstones').where('user_id', '=', userId).where('removed_at', '<', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}
