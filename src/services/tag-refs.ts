import type { UserCipher } from '../crypto/crypto.js';
import type { Executor } from '../db/schema.js';
import { listTags, tagIdsOfMessages, type TagRow } from '../repositories/tags.js';

/** Tags as messages carry them (lists, detail): the opened name and colour. */

export const TAG_NAME_CONTEXT = 'tag.name.v1';

/** A tag as messages carry it. */
export interface TagRef {
  id: string;
  name: string;
  colour: string;
}

export function refOf(cipher: UserCipher, row: TagRow): TagRef {
  return { id: row.id, name: cipher.openText(TAG_NAME_CONTEXT, row.id, row.name), colour: row.colour };
}

/** The tags of these messages, opened, in assignment order. */
export async function tagRefsOf(ex: Executor, cipher: UserCipher, userId: string, messageIds: readonly string[]): Promise<Map<string, TagRef[]>> {
  const out = new Map<string, TagRef[]>();
  const ids = await tagIdsOfMessages(ex, userId, messageIds);
  if (ids.size === 0) return out;
  const tags = new Map((await listTags(ex, userId)).map((t) => [t.id, refOf(cipher, t)]));
  for (const [messageId, tagIds] of ids) out.set(messageId, tagIds.map((id) => tags.get(id)).filter((t): t is TagRef => !!t));
  return out;
}
