import type { Insertable, Selectable } from 'kysely';
import type { AttachmentsTable, Executor, MessageChunksTable } from '../db/schema.js';

/** Sealed chunks of raw sources and attachments. Readers fetch one chunk per query, so nothing large is ever loaded at once. */

/** Rows per INSERT: well below the bind-parameter limits of both databases, and ~16 MB of chunk data at most. */
const ROWS_PER_INSERT = 64;

/** Source chunks of any number of messages, in multi-row INSERTs. */
export async function insertMessageChunks(ex: Executor, rows: readonly Insertable<MessageChunksTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await ex.insertInto('message_chunks').values(rows.slice(i, i + ROWS_PER_INSERT)).execute();
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

/** Attachment rows and their chunk rows, of any number of messages, in multi-row INSERTs. */
export async function insertAttachments(ex: Executor, attachments: readonly { row: Insertable<AttachmentsTable>; chunks: readonly Buffer[] }[]): Promise<void> {
  const rows = attachments.map((a) => a.row);
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await ex.insertInto('attachments').values(rows.slice(i, i + ROWS_PER_INSERT)).execute();
  const chunkRows = attachments.flatMap((a) => a.chunks.map((data, seq) => ({ user_id: a.row.user_id, attachment_id: a.row.id, seq, data })));
  for (let i = 0; i < chunkRows.length; i += ROWS_PER_INSERT) await ex.insertInto('attachment_chunks').values(chunkRows.slice(i, i + ROWS_PER_INSERT)).execute();
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
