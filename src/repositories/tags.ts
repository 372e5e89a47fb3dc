import type { Insertable, Selectable } from 'kysely';
import type { Executor, TagsTable } from '../db/schema.js';

/** The user's tags and their assignments to messages. Every query is scoped by user id. */

export type TagRow = Selectable<TagsTable>;

export async function listTags(ex: Executor, userId: string): Promise<TagRow[]> {
  return ex.selectFrom('tags').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
}

export async function findTag(ex: Executor, userId: string, tagId: string): Promise<TagRow | null> {
  return (await ex.selectFrom('tags').selectAll().where('user_id', '=', userId).where('id', '=', tagId).executeTakeFirst()) ?? null;
}

/** The tag with this name hash, if the user has one. */
export async function findTagByNameHash(ex: Executor, userId: string, nameHash: Buffer): Promise<TagRow | null> {
  return (await ex.selectFrom('tags').selectAll().where('user_id', '=', userId).where('name_hash', '=', nameHash).executeTakeFirst()) ?? null;
}

/** Of these ids, the ones that are the user's tags. */
export async function existingTagIds(ex: Executor, userId: string, tagIds: readonly string[]): Promise<Set<string>> {
  if (tagIds.length === 0) return new Set();
  const rows = await ex.selectFrom('tags').select('id').where('user_id', '=', userId).where('id', 'in', tagIds.slice(0, 500)).execute();
  return new Set(rows.map((r) => r.id));
}

export async function insertTag(ex: Executor, row: Insertable<TagsTable>): Promise<void> {
  await ex.insertInto('tags').values(row).execute();
}

export async function updateTag(ex: Executor, userId: string, tagId: string, set: Partial<Pick<TagRow, 'name' | 'name_hash' | 'colour'>>, now: number): Promise<boolean> {
  const res = await ex
    .updateTable('tags')
    .set({ ...set, updated_at: now })
    .where('user_id', '=', userId)
    .where('id', '=', tagId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Deletes the tag and (by cascade, and explicitly for clarity) its assignments. */
export async function deleteTag(ex: Executor, userId: string, tagId: string): Promise<boolean> {
  await ex.deleteFrom('message_tags').where('user_id', '=', userId).where('tag_id', '=', tagId).execute();
  const res = await ex.deleteFrom('tags').where('user_id', '=', userId).where('id', '=', tagId).executeTakeFirst();
  return Number(res.numDeletedRows) === 1;
}

/** Number of (live) messages per tag. */
export async function tagCounts(ex: Executor, userId: string): Promise<Map<string, number>> {
  const rows = await ex
    .selectFrom('message_tags as mt')
    .innerJoin('messages as m', 'm.id', 'mt.message_id')
    .select(['mt.tag_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('mt.user_id', '=', userId)
    .where('m.user_id', '=', userId)
    .where('m.copy_count', '>', 0)
    .groupBy('mt.tag_id')
    .execute();
  return new Map(rows.map((r) => [r.tag_id, Number(r.n)]));
}

/** Assigns a tag to a message; assigning twice is a no-op. */
export async function assignTag(ex: Executor, userId: string, messageId: string, tagId: string, now: number): Promise<void> {
  await ex
    .insertInto('message_tags')
    .values({ user_id: userId, message_id: messageId, tag_id: tagId, created_at: now })
    .onConflict((oc) => oc.columns(['message_id', 'tag_id']).doNothing())
    .execute();
}

export async function unassignTag(ex: Executor, userId: string, messageId: string, tagId: string): Promise<void> {
  await ex.deleteFrom('message_tags').where('user_id', '=', userId).where('message_id', '=', messageId).where('tag_id', '=', tagId).execute();
}

/** Makes the message's tags exactly these. */
export async function setMessageTags(ex: Executor, userId: string, messageId: string, tagIds: readonly string[], now: number): Promise<void> {
  let q = ex.deleteFrom('message_tags').where('user_id', '=', userId).where('message_id', '=', messageId);
  if (tagIds.length > 0) q = q.where('tag_id', 'not in', [...tagIds]);
  await q.execute();
  for (const tagId of tagIds) await assignTag(ex, userId, messageId, tagId, now);
}

/** Tag ids per message, in the order they were assigned. */
export async function tagIdsOfMessages(ex: Executor, userId: string, messageIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < messageIds.length; i += 500) {
    const rows = await ex
      .selectFrom('message_tags')
      .select(['message_id', 'tag_id'])
      .where('user_id', '=', userId)
      .where('message_id', 'in', messageIds.slice(i, i + 500))
      .orderBy('created_at')
      .orderBy('tag_id')
      .execute();
    for (const r of rows) out.set(r.message_id, [...(out.get(r.message_id) ?? []), r.tag_id]);
  }
  return out;
}
