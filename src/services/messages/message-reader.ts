import type { Crypto, UserCipher } from '../../crypto/crypto.js';
import type { Executor } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { parseInvitation, type CalendarInvite } from '../../mail/mime/icalendar.js';
import type { MailAddress, ParsedCalendar } from '../../mail/mime/parse.js';
import { decodeBase64Stream } from '../../mail/mime/transfer-decode.js';
import { findAttachment, listAttachments, readAttachmentChunk, readMessageChunk } from '../../repositories/message-content.js';
import { copiesOfMessage } from '../../repositories/message-copies.js';
import { folderIdsOf, listMessageRows } from '../../repositories/message-list.js';
import { findMessage } from '../../repositories/messages.js';
import { syncStateOf } from '../../repositories/pending-operations.js';
import { syncErrorOf } from '../writeback/sync-errors.js';
import { findThread } from '../../repositories/threads.js';
import { openBody } from '../sync/message-body.js';
import { CONTEXT } from '../sync/message-identity.js';
import { tagRefsOf, type TagRef } from '../tag-refs.js';

/** Read side of the mail store for the API and analysis: lists of messages (not copies), one message, and streams. */

export class MessageNotFoundError extends AppError {
  constructor() {
    super('MESSAGE_NOT_FOUND', 'message not found', 404);
  }
}

export class ThreadNotFoundError extends AppError {
  constructor() {
    super('THREAD_NOT_FOUND', 'thread not found', 404);
  }
}

export class SourceNotKeptError extends AppError {
  constructor() {
    super('SOURCE_NOT_KEPT', 'the original source of this message was not kept (it is above the size limit)', 404);
  }
}

export class InvalidCursorError extends AppError {
  constructor() {
    super('INVALID_CURSOR', 'the cursor is not valid', 400);
  }
}

export interface MessageEnvelope {
  subject: string;
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  replyTo: MailAddress[];
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  listId: string | null;
  listUnsubscribe: string | null;
  listUnsubscribePost: string | null;
  /** Header signals for the analyser; absent on messages stored before 0012. */
  precedence?: string | null;
  autoSubmitted?: string | null;
  xMailer?: string | null;
  bulkMarkers?: string[];
  priority?: 'high' | 'normal' | 'low' | null;
  spamFlag?: boolean | null;
}

export interface MessageSummary {
  id: string;
  accountId: string;
  threadId: string | null;
  folderIds: string[];
  date: number;
  size: number;
  subject: string;
  from: MailAddress | null;
  snippet: string;
  unread: boolean;
  flagged: boolean;
  answered: boolean;
  done: boolean;
  hasAttachments: boolean;
  isNewsletter: boolean;
  isCalendar: boolean;
  /** The user's tags on the message (assigned by the user; the analyser only suggests). */
  tags: TagRef[];
  analysis: SummaryAnalysis | null;
  /** A local change (read, flag, move, delete) the server has not confirmed yet. */
  pendingSync: boolean;
  /** The server refused the last change, which was undone. */
  syncError: { code: string; message: string } | null;
}

/** The effective analysis as lists show it; null fields until the message is analysed. */
export interface SummaryAnalysis {
  urgency: number | null;
  importance: number | null;
  score: number | null;
  colour: string | null;
  category: string | null;
  summary: string | null;
  source: string | null;
  status: string;
}

export interface AttachmentInfo {
  index: number;
  filename: string | null;
  contentType: string;
  disposition: string | null;
  contentId: string | null;
  size: number;
  isInline: boolean;
}

export interface MessageDetail extends Omit<MessageSummary, 'subject' | 'from' | 'analysis'> {
  headers: MessageEnvelope;
  text: string | null;
  /** As received: sanitise before rendering. */
  html: string | null;
  /** The invitation of the message's text/calendar part, read from the stored part. */
  calendar: CalendarInvite | null;
  attachments: AttachmentInfo[];
  copies: Array<{ accountId: string; folderId: string; uidvalidity: number; uid: number; flags: string[] }>;
  parseWarnings: string[];
  sourceAvailable: boolean;
}

export interface MessagePage {
  items: MessageSummary[];
  nextCursor: string | null;
}

export interface ListOptions {
  accountId?: string;
  folderId?: string;
  cursor?: string | null;
  limit?: number;
  sort?: 'date' | 'score';
  unread?: boolean;
  flagged?: boolean;
  done?: boolean;
  hasAttachments?: boolean;
  calendar?: boolean;
  since?: number;
  until?: number;
  cell?: { urgency: number; importance: number };
  colour?: string;
  category?: string;
  tagId?: string;
  ids?: readonly string[];
}

export interface ThreadView {
  id: string;
  /** The thread's messages that are still on the server, oldest first. */
  messages: MessageSummary[];
}

export interface MessageReaderDeps {
  db: Executor;
  crypto: Pick<Crypto, 'forUser'>;
}

const MAX_LIMIT = 200;

/** The sort key of the last row: (date, id), plus the score when the list is sorted by score. */
function encodeCursor(date: number, id: string, score?: number): string {
  return Buffer.from(JSON.stringify(score === undefined ? [date, id] : [date, id, score])).toString('base64url');
}

function decodeCursor(cursor: string, sort: 'date' | 'score'): { date: number; id: string; score?: number } {
  try {
    const [date, id, score] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const valid = typeof date === 'number' && Number.isFinite(date) && typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id);
    if (valid && sort === 'date' && score === undefined) return { date, id };
    if (valid && sort === 'score' && typeof score === 'number' && Number.isFinite(score)) return { date, id, score };
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}

const invitation = (part: ParsedCalendar) => parseInvitation(part.content, part.method);

function openOptional(cipher: UserCipher, context: string, id: string, sealed: Buffer | null): string | null {
  return sealed ? cipher.openText(context, id, sealed) : null;
}

/** The snippet and 0/1 state columns every message view shares, as the API's booleans. */
function stateOf(
  cipher: UserCipher,
  r: { id: string; snippet: Buffer | null; is_seen: number; is_flagged: number; is_answered: number; is_done: number; has_attachments: number; is_newsletter: number; is_calendar: number },
) {
  return {
    snippet: openOptional(cipher, CONTEXT.snippet, r.id, r.snippet) ?? '',
    unread: r.is_seen === 0,
    flagged: r.is_flagged === 1,
    answered: r.is_answered === 1,
    done: r.is_done === 1,
    hasAttachments: r.has_attachments === 1,
    isNewsletter: r.is_newsletter === 1,
    isCalendar: r.is_calendar === 1,
  };
}

function writeBackState(s: { pending: boolean; errorCode: string | null } | undefined) {
  return { pendingSync: s?.pending ?? false, syncError: syncErrorOf(s?.errorCode ?? null) };
}

export function createMessageReader(deps: MessageReaderDeps) {
  const { db } = deps;

  const openEnvelope = (cipher: UserCipher, id: string, sealed: Buffer) => JSON.parse(cipher.openText(CONTEXT.envelope, id, sealed)) as MessageEnvelope;

  async function listMessages(userId: string, options: ListOptions = {}): Promise<MessagePage> {
    const limit = Math.min(Math.max(1, options.limit ?? 50), MAX_LIMIT);
    const sort = options.sort ?? 'date';
    const after = options.cursor ? decodeCursor(options.cursor, sort) : undefined;
    const rows = await listMessageRows(db, userId, {
      accountId: options.accountId,
      folderId: options.folderId,
      sort,
      unread: options.unread,
      flagged: options.flagged,
      done: options.done,
      hasAttachments: options.hasAttachments,
      calendar: options.calendar,
      since: options.since,
      until: options.until,
      cell: options.cell,
      colour: options.colour,
      category: options.category,
      tagId: options.tagId,
      ids: options.ids,
      after,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    if (page.length === 0) return { items: [], nextCursor: null };
    const items = await summaries(userId, page);
    const last = page[page.length - 1]!;
    const nextCursor = rows.length > limit ? encodeCursor(last.date, last.id, sort === 'score' ? (last.score ?? -1) : undefined) : null;
    return { items, nextCursor };
  }

  async function summaries(userId: string, page: Awaited<ReturnType<typeof listMessageRows>>): Promise<MessageSummary[]> {
    if (page.length === 0) return [];
    const cipher = await deps.crypto.forUser(userId);
    const folders = await folderIdsOf(db, userId, page.map((r) => r.id));
    const tags = await tagRefsOf(db, cipher, userId, page.map((r) => r.id));
    const sync = await syncStateOf(db, userId, page.map((r) => r.id));
    return page.map((r): MessageSummary => {
      const env = openEnvelope(cipher, r.id, r.envelope);
      return {
        id: r.id,
        accountId: r.account_id,
        threadId: r.thread_id,
        folderIds: folders.get(r.id) ?? [],
        date: r.date,
        size: r.size,
        subject: env.subject,
        from: env.from,
        ...stateOf(cipher, r),
        tags: tags.get(r.id) ?? [],
        ...writeBackState(sync.get(r.id)),
        analysis: {
          urgency: r.urgency,
          importance: r.importance,
          score: r.score,
          colour: r.colour,
          category: r.category,
          summary: openOptional(cipher, 'message.summary.v1', r.id, r.analysis_summary),
          source: r.analysis_source,
          status: r.analysis_status,
        },
      };
    });
  }

  /** A thread's messages, oldest first (at most the newest 500); 404 for a thread that is not the user's. */
  async function getThread(userId: string, threadId: string): Promise<ThreadView> {
    const thread = await findThread(db, userId, threadId);
    if (!thread) throw new ThreadNotFoundError();
    const rows = await listMessageRows(db, userId, { threadId, limit: 500 });
    return { id: thread.id, messages: (await summaries(userId, rows)).reverse() };
  }

  async function getMessage(userId: string, messageId: string): Promise<MessageDetail> {
    const row = await findMessage(db, userId, messageId);
    if (!row || row.copy_count === 0) throw new MessageNotFoundError();
    const cipher = await deps.crypto.forUser(userId);
    const copies = await copiesOfMessage(db, userId, messageId);
    const attachments = await listAttachments(db, userId, messageId);
    const calendar = openOptional(cipher, CONTEXT.calendar, row.id, row.calendar);
    return {
      id: row.id,
      accountId: row.account_id,
      threadId: row.thread_id,
      folderIds: [...new Set(copies.map((c) => c.folder_id))],
      date: row.date,
      size: row.size,
      ...stateOf(cipher, row),
      tags: (await tagRefsOf(db, cipher, userId, [row.id])).get(row.id) ?? [],
      ...writeBackState((await syncStateOf(db, userId, [row.id])).get(row.id)),
      headers: openEnvelope(cipher, row.id, row.envelope),
      text: row.body_text ? openBody(cipher, CONTEXT.text, row.id, row.body_text) : null,
      html: row.body_html ? openBody(cipher, CONTEXT.html, row.id, row.body_html) : null,
      calendar: calendar ? invitation(JSON.parse(calendar) as ParsedCalendar) : null,
      attachments: attachments.map((a) => ({
        index: a.index,
        filename: a.filename ? cipher.openText(CONTEXT.filename, a.id, a.filename) : null,
        contentType: a.content_type,
        disposition: a.disposition,
        contentId: a.content_id ? cipher.openText(CONTEXT.contentId, a.id, a.content_id) : null,
        size: a.size,
        isInline: a.is_inline === 1,
      })),
      copies: copies.map((c) => ({ accountId: c.account_id, folderId: c.folder_id, uidvalidity: c.uidvalidity, uid: c.uid, flags: c.flags ? c.flags.split(' ') : [] })),
      parseWarnings: row.parse_warnings ? row.parse_warnings.split(' ') : [],
      sourceAvailable: row.source_chunks > 0,
    };
  }

  /** The raw source, one decrypted ~256 KB chunk at a time (one query per chunk). */
  async function openSource(userId: string, messageId: string): Promise<{ size: number; chunks: AsyncIterable<Buffer> }> {
    const row = await findMessage(db, userId, messageId);
    if (!row || row.copy_count === 0) throw new MessageNotFoundError();
    if (row.source_chunks === 0) throw new SourceNotKeptError();
    const cipher = await deps.crypto.forUser(userId);
    return { size: row.size, chunks: streamChunks(0, row.source_chunks, sourceChunkReader(cipher, userId, messageId)) };
  }

  function sourceChunkReader(cipher: UserCipher, userId: string, messageId: string) {
    return async (seq: number) => {
      const sealed = await readMessageChunk(db, userId, messageId, seq);
      if (!sealed) throw new Error('message chunk missing');
      return cipher.openBytes(CONTEXT.source, `${messageId}:${seq}`, sealed);
    };
  }

  /** One attachment's metadata and its content as a stream of decrypted chunks. */
  async function openAttachment(userId: string, messageId: string, index: number): Promise<{ info: AttachmentInfo; chunks: AsyncIterable<Buffer> }> {
    const msg = await findMessage(db, userId, messageId);
    const a = msg && msg.copy_count > 0 ? await findAttachment(db, userId, messageId, index) : null;
    if (!a) throw new MessageNotFoundError();
    const cipher = await deps.crypto.forUser(userId);
    return {
      info: {
        index: a.index,
        filename: a.filename ? cipher.openText(CONTEXT.filename, a.id, a.filename) : null,
        contentType: a.content_type,
        disposition: a.disposition,
        contentId: a.content_id ? cipher.openText(CONTEXT.contentId, a.id, a.content_id) : null,
        size: a.size,
        isInline: a.is_inline === 1,
      },
      // Stored once as part of the source (its encoded body is its own chunk run): decoded on the way out.
      chunks:
        a.source_seq !== null
          ? decodeBase64Stream(streamChunks(a.source_seq, a.chunks, sourceChunkReader(cipher, userId, messageId)))
          : streamChunks(0, a.chunks, async (seq) => {
              const sealed = await readAttachmentChunk(db, userId, a.id, seq);
              if (!sealed) throw new Error('attachment chunk missing');
              return cipher.openBytes(CONTEXT.attachment, `${a.id}:${seq}`, sealed);
            }),
    };
  }

  return { listMessages, getThread, getMessage, openSource, openAttachment };
}

export type MessageReader = ReturnType<typeof createMessageReader>;

async function* streamChunks(first: number, count: number, read: (seq: number) => Promise<Buffer>): AsyncGenerator<Buffer> {
  for (let seq = first; seq < first + count; seq++) yield await read(seq);
}
