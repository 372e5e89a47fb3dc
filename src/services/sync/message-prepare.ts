import type { Insertable } from 'kysely';
import { normaliseAddress } from '../../ai/builtin/senders.js';
import type { UserCipher } from '../../crypto/crypto.js';
import type { AttachmentsTable, MessagesTable } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import { sealChunked } from '../../crypto/sealer.js';
import { DEFAULT_MAX_MESSAGE_BYTES, joinRaw, parseMessage, type ParsedMessage } from '../../mail/mime/parse.js';
import type { ParseResult, PoolParseOptions } from '../../mail/mime/parse-pool.js';
import { sealParsed, type SealedParts } from '../../mail/mime/sealed-parse.js';
import { encodeBody } from './message-body.js';
import { CONTEXT, envelopeHash, flagsText, isReplySubject, messageIdHash, participantHash, THREAD_SUBJECT_PURPOSE, threadSubject } from './message-identity.js';

/**
 * The slow half of storing a batch: parse, hash and seal every message, touching no database.
 * The result is written by `storeBatch` inside one short transaction.
 */

/** Raw sources and attachments are sealed in chunks of this size, so a download never loads a whole message. */
export const CHUNK_BYTES = 256 * 1024;

/** One server copy as the sync loop fetched it. */
export interface IncomingCopy {
  uid: number;
  flags: Iterable<string>;
  modseq?: number | null;
  internalDate?: number | null;
  /** RFC822.SIZE; the raw length when not given. */
  size?: number;
  /** The full source, or (above the size limit) only its header block. */
  raw: Buffer | readonly Buffer[];
  /** EMAILID (RFC 8474) or X-GM-MSGID, when the server offers one. */
  emailId?: string | null;
}

export interface BatchInput {
  userId: string;
  accountId: string;
  folderId: string;
  uidvalidity: number;
  items: readonly IncomingCopy[];
}

export interface ThreadingKeys {
  /** Hashes of the message's own Message-ID, In-Reply-To and References (parents first). */
  ownHash: Buffer | null;
  parentHashes: Buffer[];
  /** Thread root if this message starts a thread: the first reference, else the parent, else itself. */
  rootHash: Buffer;
  /** Null for an empty subject, which never groups messages. */
  subjectHash: Buffer | null;
  isReply: boolean;
  /** Keyed hashes of the From address and of the To/Cc addresses (at most 50), for the subject fallback. */
  senderHash: Buffer | null;
  recipientHashes: Buffer[];
}

export interface PreparedAttachment {
  row: Insertable<AttachmentsTable>;
  /** Sealed decoded bytes; empty when the attachment is a run of the source chunks (`row.source_seq`). */
  chunks: Buffer[];
}

export interface PreparedMessage {
  uid: number;
  flags: string;
  modseq: number | null;
  internalDate: number | null;
  size: number;
  emailId: string | null;
  /** The message row to insert when no existing message matches (id pre-assigned; sealed values are bound to it). */
  row: Insertable<MessagesTable>;
  sourceChunks: Buffer[];
  attachments: PreparedAttachment[];
  threading: ThreadingKeys;
}

export interface PreparedBatch {
  userId: string;
  accountId: string;
  folderId: string;
  uidvalidity: number;
  messages: PreparedMessage[];
}

/**
 * Parses a source (see `ParsePool.parse`): the source comes back as the caller must use it from then
 * on, and, when the parser did that work too, the bodies in their stored form or the sealed parts.
 */
export type Parser = (raw: Buffer, options?: PoolParseOptions) => Promise<ParseResult>;

const parseInProcess: Parser = async (raw, options) => ({ parsed: await parseMessage(raw, { maxBytes: options?.maxBytes }), source: raw });

export interface PrepareOptions {
  /** A parse pool's `parse` (parse, seal and hash off the event loop); in-process parsing by default. */
  parse?: Parser;
  maxBytes?: number;
  now?: () => number;
}

function sealChunks(cipher: UserCipher, context: string, rowId: string, bytes: Uint8Array): Buffer[] {
  return sealChunked(cipher, context, rowId, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), CHUNK_BYTES).chunks;
}

export async function prepareBatch(cipher: UserCipher, input: BatchInput, options: PrepareOptions = {}): Promise<PreparedBatch> {
  const batch = startBatch(cipher, input, options);
  for (const item of input.items) batch.add(item);
  return batch.finish();
}

/** A batch being prepared: each message added starts its parse at once. */
export interface BatchBuilder {
  add(item: IncomingCopy): void;
  /**
   * Waits for every message added and returns the batch, in the order of `uids` when given (a UID
   * not added is left out), else in the order added. Fails if any message failed.
   */
  finish(uids?: readonly number[]): Promise<PreparedBatch>;
}

/**
 * Starts a batch whose messages are added one at a time, as the sync receives them: with a pool,
 * each parse queues for the workers at once, so they work while the rest of the batch arrives.
 */
export function startBatch(cipher: UserCipher, meta: Omit<BatchInput, 'items'>, options: PrepareOptions = {}): BatchBuilder {
  if (cipher.userId !== meta.userId) throw new Error('cipher belongs to another user');
  const parse = options.parse ?? parseInProcess;
  const now = options.now ?? Date.now;
  const keys = options.parse ? cipher.sealingKeys() : null;
  const started: Array<{ item: IncomingCopy; done: Promise<Finished> }> = [];

  // The workers compress, seal and hash too; what was parsed in-process is finished here.
  const finishOne = async (item: IncomingCopy): Promise<Finished> => {
    const id = newId();
    const target = { rowId: id, chunkBytes: CHUNK_BYTES, contexts: { source: CONTEXT.source, text: CONTEXT.text, html: CONTEXT.html } };
    const raw = joinRaw(item.raw);
    const fetched = raw.length; // read now: the parse moves the bytes to a worker
    const result = await parse(raw, { maxBytes: options.maxBytes, encodeBodies: true, ...(keys ? { seal: { ...target, keys } } : {}) });
    const parsed = markTooLarge(result.parsed, item.size, options.maxBytes);
    let sealed = result.sealed;
    if (!sealed) {
      const source = result.source!;
      // A message marked TOO_LARGE has no text or HTML left, so it encodes to no bodies.
      const bodies = result.bodies ?? { text: await encodeBody(parsed.text), html: await encodeBody(parsed.html) };
      sealed = sealParsed(cipher, source, parsed, bodies, target);
    }
    return { id, parsed, sealed, size: item.size ?? fetched };
  };

  return {
    add(item) {
      const done = finishOne(item);
      // Awaited in finish(); a batch given up before then (the fetch failed) must not leave an unhandled rejection.
      done.catch(() => undefined);
      started.push({ item, done });
    },
    async finish(uids) {
      let list = started;
      if (uids) {
        const byUid = new Map(started.map((s) => [s.item.uid, s]));
        list = uids.flatMap((uid) => (byUid.has(uid) ? [byUid.get(uid)!] : []));
      }
      const done = await Promise.all(list.map((s) => s.done));
      const messages = list.map((s, i) => prepareOne(cipher, meta, s.item, done[i]!, now()));
      return { userId: meta.userId, accountId: meta.accountId, folderId: meta.folderId, uidvalidity: meta.uidvalidity, messages };
    },
  };
}

/**
 * The sync fetches only the header block of a message above the size limit; its parse sees a small
 * message. The server's size decides: such a message is TOO_LARGE, keeps no source (a header block
 * must never pass for the message) and no body.
 */
function markTooLarge(parsed: ParsedMessage, size: number | undefined, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): ParsedMessage {
  if (size === undefined || size <= maxBytes || parsed.warnings.includes('TOO_LARGE')) return parsed;
  return { ...parsed, headersOnly: true, text: null, html: null, attachments: [], calendar: null, warnings: [...parsed.warnings, 'TOO_LARGE'] };
}

/** A message parsed, sealed and hashed, with the row id its sealed parts are bound to. */
interface Finished {
  id: string;
  parsed: ParsedMessage;
  sealed: SealedParts;
  /** RFC822.SIZE, or the length of what was fetched. */
  size: number;
}

function prepareOne(cipher: UserCipher, input: Omit<BatchInput, 'items'>, item: IncomingCopy, { id, parsed, sealed, size }: Finished, now: number): PreparedMessage {
  const h = parsed.headers;
  const seal = (context: string, value: string | null) => (value === null || value === '' ? null : cipher.sealText(context, id, value));
  const envelope = {
    subject: h.subject,
    from: h.from,
    to: h.to,
    cc: h.cc,
    replyTo: h.replyTo,
    messageId: h.messageId,
    inReplyTo: h.inReplyTo,
    references: h.references,
    listId: h.listId,
    listUnsubscribe: h.listUnsubscribe,
    listUnsubscribePost: h.listUnsubscribePost,
    // Header signals the analyser reads (0012); older envelopes lack them.
    precedence: h.precedence,
    autoSubmitted: h.autoSubmitted,
    xMailer: h.xMailer,
    bulkMarkers: h.bulkMarkers,
    priority: h.priority,
    spamFlag: h.spamFlag,
  };
  const flags = flagsText(item.flags);
  const has = (flag: string) => (flags.split(' ').includes(flag) ? 1 : 0);
  // Above the size limit only the header block is kept: no source chunks, no bodies.
  const keepSource = !(parsed.headersOnly && parsed.warnings.includes('TOO_LARGE'));
  // Attachments given as source ranges are stored once, as their own run of source chunks.
  const { sourceChunks, runs } = keepSource ? sealed : { sourceChunks: [], runs: [] };
  let run = 0;

  const attachments: PreparedAttachment[] = parsed.attachments.map((a, index) => {
    const attId = newId();
    const sourceRun = a.source && keepSource ? runs[run++]! : null;
    const chunks = sourceRun ? [] : sealChunks(cipher, CONTEXT.attachment, attId, a.content ?? new Uint8Array(0));
    return {
      row: {
        id: attId,
        user_id: input.userId,
        message_id: id,
        index,
        filename: a.filename ? cipher.sealText(CONTEXT.filename, attId, a.filename) : null,
        content_type: a.contentType.slice(0, 200),
        disposition: a.disposition?.slice(0, 50) ?? null,
        content_id: a.contentId ? cipher.sealText(CONTEXT.contentId, attId, a.contentId) : null,
        size: a.size,
        is_inline: a.isInline ? 1 : 0,
        chunks: sourceRun ? sourceRun.count : chunks.length,
        source_seq: sourceRun ? sourceRun.seq : null,
        encoding: sourceRun ? a.source!.encoding : null,
      },
      chunks,
    };
  });

  const ownHash = h.messageId ? messageIdHash(cipher, h.messageId) : null;
  const parentIds = [...h.references, ...h.inReplyTo.filter((x) => !h.references.includes(x))];
  const parentHashes = parentIds.map((x) => messageIdHash(cipher, x));
  const rootHash = parentHashes[0] ?? ownHash ?? messageIdHash(cipher, `row:${id}`);

  return {
    uid: item.uid,
    flags,
    modseq: item.modseq ?? null,
    internalDate: item.internalDate ?? null,
    size,
    emailId: item.emailId ?? null,
    sourceChunks,
    attachments,
    threading: {
      ownHash,
      parentHashes,
      rootHash,
      subjectHash: threadSubject(h.subject) === '' ? null : cipher.lookupHash(THREAD_SUBJECT_PURPOSE, threadSubject(h.subject)),
      isReply: isReplySubject(h.subject),
      senderHash: h.from?.address ? participantHash(cipher, h.from.address) : null,
      recipientHashes: [...new Set([...h.to, ...h.cc].flatMap((a) => (a.address ? [normaliseAddress(a.address)] : [])))].slice(0, 50).map((a) => participantHash(cipher, a)),
    },
    row: {
      id,
      user_id: input.userId,
      account_id: input.accountId,
      thread_id: null,
      email_id: item.emailId ?? null,
      message_id_hash: ownHash,
      content_hash: sealed.contentHash,
      envelope_hash: envelopeHash(cipher, { date: h.date, fromAddress: h.from?.address ?? null, subject: h.subject, size }),
      date: h.date ?? item.internalDate ?? now,
      size,
      has_attachments: parsed.attachments.some((a) => !a.isInline) ? 1 : 0,
      is_calendar: parsed.calendar ? 1 : 0,
      is_newsletter: parsed.isNewsletter ? 1 : 0,
      envelope: cipher.sealText(CONTEXT.envelope, id, JSON.stringify(envelope)),
      body_text: keepSource ? sealed.text : null,
      body_html: keepSource ? sealed.html : null,
      snippet: seal(CONTEXT.snippet, parsed.snippet),
      calendar: parsed.calendar ? cipher.sealText(CONTEXT.calendar, id, JSON.stringify(parsed.calendar)) : null,
      parse_warnings: parsed.warnings.length > 0 ? parsed.warnings.join(' ') : null,
      source_chunks: sourceChunks.length,
      copy_count: 1,
      is_seen: has('\\Seen'),
      is_flagged: has('\\Flagged'),
      is_answered: has('\\Answered'),
      is_done: 0,
      analysis_status: 'pending',
      done_at: null,
      created_at: now,
      updated_at: now,
    },
  };
}
