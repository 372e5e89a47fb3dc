import type { Insertable, Selectable } from 'kysely';
import type { AttachmentsTable, Executor } from '../db/schema.js';

/** Sealed chunks of raw sources and attachments. Readers fetch one chunk per query, so nothing large is ever loaded at once. */

/** Rows per INSERT: well below the bind-parameter limits of both databases, and ~16 MB of chunk data at most. */
const ROWS_PER_INSERT = 64;

export async function insertMessageChunks(ex: Executor, userId: string, messageId: string, chunks: readonly Buffer[]): Promise<void> {
  for (let i = 0; i < chunks.length; i += ROWS_PER_INSERT) {
    const rows = chunks.slice(i, i + ROWS_PER_INSERT).map((data, k) => ({ user_id: userId, message_id: messageId, seq: i + k, data }));
    await ex.insertInto('message_chunks').values(rows).execute();
  }
}

export async function readMessageChunk(ex: Executor, userId: string, messageId: string, seq: number): Promise<Buffer | null> {
  const row = await ex
    .selectFrom('message_chunks')
    .select('data')
    .where('user_id', '=', userId)
    .where('message_id', '=', messageId)
    .where('seq', '=', seq)
    .executeTakeFirst();
  return row?.data ?? null;
}

export async function insertAttachment(ex: Executor, row: Insertable<AttachmentsTable>, chunks: readonly Buffer[]): Promise<void> {
  await ex.insertInto('attachments').values(row).execute();
  for (let i = 0; i < chunks.length; i += ROWS_PER_INSERT) {
    const rows = chunks.slice(i, i + ROWS_PER_INSERT).map((data, k) => ({ user_id: row.user_id, attachment_id: row.id, seq: i + k, data }));
    await ex.insertInto('attachment_chunks').values(rows).execute();
  }
}

export type AttachmentRow = Selectable<AttachmentsTable>;

export async function listAttachments(ex: Executor, userId: string, messageId: string): Promise<AttachmentRow[]> {
  return ex.selectFrom('attachments').selectAll().where('user_id', '=', userId).where('message_id', '=', messageId).orderBy('index').execute();
}

export async function findAttachment(ex: Executor, userId: string, messageId: string, index: number): Promise<AttachmentRow | null> {
  const row = await ex
    .selectFrom('attachments')
    .selectAll()
    .where('user_id', '=', userId)
    .where('message_id', '=', messageId)
    .where('index', '=', index)
    .executeTakeFirst();
  return row ?? null;
}

export async function readAttachmentChunk(ex: Executor, userId: string, attachmentId: string, seq: number): Promise<Buffer | null> {
  const row = await ex
    .selectFrom('attachment_chunks')
    .select('data')
    .where('user_id', '=', userId)
    .where('attachment_id', '=', attachmentId)
    .where('seq', '=', seq)
    .executeTakeFirst();
  return row?.data ?? null;
}
