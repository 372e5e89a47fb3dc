import type { Kysely } from 'kysely';
import type { Crypto, UserCipher } from '../crypto/crypto.js';
import type { Database } from '../db/schema.js';
import { newId } from '../db/ids.js';
import { AppError } from '../errors.js';
import { findMessage } from '../repositories/messages.js';
import { assignTag, deleteTag, findTag, findTagByNameHash, insertTag, listTags, tagCounts, unassignTag, updateTag, type TagRow } from '../repositories/tags.js';
import { MessageNotFoundError } from './messages/message-reader.js';
import { refOf, TAG_NAME_CONTEXT, tagRefsOf, type TagRef } from './tag-refs.js';

export { TAG_NAME_CONTEXT, type TagRef } from './tag-refs.js';

/** The user's tags (name unique per user, case-insensitive; names sealed) and their assignment to messages. */

export const DEFAULT_TAG_COLOUR = '#64748b';

export class TagNotFoundError extends AppError {
  constructor() {
    super('TAG_NOT_FOUND', 'tag not found', 404);
  }
}

export class TagNameTakenError extends AppError {
  constructor() {
    super('TAG_NAME_TAKEN', 'a tag with this name already exists', 409);
  }
}


export interface Tag extends TagRef {
  /** Messages (not copies) that carry the tag. */
  messageCount: number;
  createdAt: number;
  updatedAt: number;
}

/** Trimmed, inner whitespace collapsed, NFC. */
export function normaliseTagName(name: string): string {
  return name.normalize('NFC').trim().replace(/\s+/g, ' ');
}

/** The uniqueness key: the same name in any letter case is the same tag. */
export function tagNameHash(cipher: Pick<UserCipher, 'lookupHash'>, name: string): Buffer {
  return cipher.lookupHash(TAG_NAME_CONTEXT, normaliseTagName(name).toLowerCase());
}


export interface TagsServiceDeps {
  db: Kysely<Database>;
  crypto: Pick<Crypto, 'forUser'>;
  now: () => number;
}

export function createTagsService(deps: TagsServiceDeps) {
  const { db } = deps;

  async function own(userId: string, tagId: string): Promise<TagRow> {
    const row = await findTag(db, userId, tagId);
    if (!row) throw new TagNotFoundError();
    return row;
  }

  async function ownMessage(userId: string, messageId: string): Promise<void> {
    const row = await findMessage(db, userId, messageId);
    if (!row || row.copy_count === 0) throw new MessageNotFoundError();
  }

  async function toTag(cipher: UserCipher, userId: string, row: TagRow, counts?: Map<string, number>): Promise<Tag> {
    const n = counts ?? (await tagCounts(db, userId));
    return { ...refOf(cipher, row), messageCount: n.get(row.id) ?? 0, createdAt: row.created_at, updatedAt: row.updated_at };
  }

  async function messageTags(userId: string, messageId: string): Promise<TagRef[]> {
    const cipher = await deps.crypto.forUser(userId);
    return (await tagRefsOf(db, cipher, userId, [messageId])).get(messageId) ?? [];
  }

  return {
    async list(userId: string): Promise<Tag[]> {
      const cipher = await deps.crypto.forUser(userId);
      const counts = await tagCounts(db, userId);
      const rows = await listTags(db, userId);
      const tags = await Promise.all(rows.map((r) => toTag(cipher, userId, r, counts)));
      return tags.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    },

    async get(userId: string, tagId: string): Promise<Tag> {
      const cipher = await deps.crypto.forUser(userId);
      return toTag(cipher, userId, await own(userId, tagId));
    },

    async create(userId: string, input: { name: string; colour?: string }): Promise<Tag> {
      const cipher = await deps.crypto.forUser(userId);
      const name = normaliseTagName(input.name);
      const hash = tagNameHash(cipher, name);
      if (await findTagByNameHash(db, userId, hash)) throw new TagNameTakenError();
      const id = newId();
      const now = deps.now();
      try {
        await insertTag(db, { id, user_id: userId, name: cipher.sealText(TAG_NAME_CONTEXT, id, name), name_hash: hash, colour: input.colour ?? DEFAULT_TAG_COLOUR, created_at: now, updated_at: now });
      } catch (err) {
        // Two requests with the same name at once: the unique index lets one through.
        if (await findTagByNameHash(db, userId, hash)) throw new TagNameTakenError();
        throw err;
      }
      return toTag(cipher, userId, (await findTag(db, userId, id))!);
    },

    async update(userId: string, tagId: string, input: { name?: string; colour?: string }): Promise<Tag> {
      const cipher = await deps.crypto.forUser(userId);
      await own(userId, tagId);
      const set: Parameters<typeof updateTag>[3] = {};
      if (input.colour !== undefined) set.colour = input.colour;
      if (input.name !== undefined) {
        const name = normaliseTagName(input.name);
        const hash = tagNameHash(cipher, name);
        const clash = await findTagByNameHash(db, userId, hash);
        if (clash && clash.id !== tagId) throw new TagNameTakenError();
        set.name = cipher.sealText(TAG_NAME_CONTEXT, tagId, name);
        set.name_hash = hash;
      }
      try {
        await updateTag(db, userId, tagId, set, deps.now());
      } catch (err) {
        const clash = set.name_hash ? await findTagByNameHash(db, userId, set.name_hash) : null;
        if (clash && clash.id !== tagId) throw new TagNameTakenError();
        throw err;
      }
      return toTag(cipher, userId, await own(userId, tagId));
    },

    /** Deletes the tag and its assignments; corrections keep the id in their history. */
    async remove(userId: string, tagId: string): Promise<void> {
      await own(userId, tagId);
      await db.transaction().execute(async (trx) => {
        if (!(await deleteTag(trx, userId, tagId))) throw new TagNotFoundError();
      });
    },

    messageTags,

    async assign(userId: string, messageId: string, tagId: string): Promise<TagRef[]> {
      await ownMessage(userId, messageId);
      await own(userId, tagId);
      await assignTag(db, userId, messageId, tagId, deps.now());
      return messageTags(userId, messageId);
    },

    async unassign(userId: string, messageId: string, tagId: string): Promise<TagRef[]> {
      await ownMessage(userId, messageId);
      await own(userId, tagId);
      await unassignTag(db, userId, messageId, tagId);
      return messageTags(userId, messageId);
    },
  };
}

export type TagsService = ReturnType<typeof createTagsService>;
