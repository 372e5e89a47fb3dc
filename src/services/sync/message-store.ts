import type { Insertable } from 'kysely';
import type { Executor, MessagesTable } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import { insertAttachments, insertMessageChunks } from '../../repositories/message-content.js';
import {
  copiesByUids,
  deleteCopies,
  deleteTombstonesBefore,
  deleteTombstonesOf,
  findCopyByUid,
  hasCopyInFolder,
  hasTombstoneSince,
  insertCopies,
  insertCopy,
  insertTombstones,
  knownUids as knownUidsQuery,
  staleCopies,
  updateCopyFlags,
  type CopyRow,
} from '../../repositories/message-copies.js';
import { deleteMessages, expiredOrphans, findByIdentity, insertMessages, presentIdentities, refreshMessageState } from '../../repositories/messages.js';
import { copiesWithPendingMove, pendingFlagsOf } from '../../repositories/pending-operations.js';
import { recountThreads } from '../../repositories/threads.js';
import { flagsText } from './message-identity.js';
import type { PreparedBatch, PreparedMessage } from './message-prepare.js';
import { createThreadAssigner } from './threading.js';

/**
 * The database half of the mail store. Every function takes the caller's transaction (the sync
 * loop opens it and checks its lease fence first) and does no slow work: parsing and sealing
 * happened in `prepareBatch`. Functions are idempotent, so a retried batch never duplicates.
 */

/** A removed copy's message stays this long, so a move seen as delete-then-new re-attaches to it. */
export const TOMBSTONE_MS = 7 * 24 * 60 * 60 * 1000;

export interface StoreResult {
  /** New logical messages. */
  created: number;
  /** New copies attached to an existing message (moves, labels, UIDVALIDITY reseeds). */
  reattached: number;
  /** Copies already stored: nothing written. */
  skipped: number;
  /** Message id per UID of the batch. */
  messageIds: Map<number, string>;
}

export async function storeBatch(trx: Executor, batch: PreparedBatch, now: number = Date.now()): Promise<StoreResult> {
  const result: StoreResult = { created: 0, reattached: 0, skipped: 0, messageIds: new Map() };
  // A few set look-ups for the whole batch first: most new mail matches nothing, and then the
  // per-message queries below (copy by UID, identity candidates) can be skipped. Whatever might
  // match takes the full path.
  const stored = new Map((await copiesByUids(trx, batch.userId, batch.folderId, batch.uidvalidity, batch.messages.map((m) => m.uid))).map((c) => [c.uid, c]));
  const known = await presentIdentities(trx, batch.userId, batch.accountId, {
    emailIds: batch.messages.flatMap((m) => (m.emailId ? [m.emailId] : [])),
    contentHashes: batch.messages.map((m) => m.row.content_hash as Buffer),
    envelopeHashes: batch.messages.map((m) => m.row.envelope_hash as Buffer),
  });
  const written = new Set<number>();
  // A merge moves messages between threads: the batch's messages must be in the table first.
  const threads = createThreadAssigner(trx, batch.userId, now, { beforeMerge: () => pending.flush() });
  // New threads and their keys are written before the messages that refer to them.
  const pending = pendingWrites(trx, () => threads.flush());
  await threads.prime(batch.messages.filter((m) => !stored.has(m.uid)).map((m) => m.threading));
  const mayMatch = (pm: PreparedMessage) =>
    (pm.emailId !== null && known.emailIds.has(pm.emailId)) ||
    known.contentHashes.has((pm.row.content_hash as Buffer).toString('hex')) ||
    known.envelopeHashes.has((pm.row.envelope_hash as Buffer).toString('hex'));
  for (const pm of batch.messages) {
    if (written.has(pm.uid)) await pending.flush();
    const existing = stored.get(pm.uid) ?? (written.has(pm.uid) ? await findCopyByUid(trx, batch.userId, batch.folderId, batch.uidvalidity, pm.uid) : null);
    if (existing) {
      result.skipped++;
      result.messageIds.set(pm.uid, existing.message_id);
      continue;
    }
    written.add(pm.uid);
    const candidate = mayMatch(pm);
    if (candidate) await pending.flush();
    const match = candidate ? await matchExisting(trx, batch, pm, now) : null;
    if (match) {
      await attachCopy(trx, batch, pm, match, now);
      result.reattached++;
      result.messageIds.set(pm.uid, match);
      continue;
    }
    const threadId = await threads.assign(pm.threading, Number(pm.row.date));
    pending.add(pm, { ...pm.row, thread_id: threadId }, copyRow(batch, pm, pm.row.id, now));
    // Later messages of this batch may match this one.
    if (pm.emailId) known.emailIds.add(pm.emailId);
    known.contentHashes.add((pm.row.content_hash as Buffer).toString('hex'));
    known.envelopeHashes.add((pm.row.envelope_hash as Buffer).toString('hex'));
    result.created++;
    result.messageIds.set(pm.uid, pm.row.id);
  }
  await pending.flush();
  return result;
}

/**
 * New messages with their chunks, attachments and copies, written a batch at a time in multi-row
 * INSERTs, after the batch's new threads and thread keys (`beforeInsert`). Flushed before anything
 * reads messages or copies (identity matches, a thread merge), and at the end of the batch.
 */
function pendingWrites(trx: Executor, beforeInsert: () => Promise<void>) {
  let messages: PreparedMessage[] = [];
  let rows: Insertable<MessagesTable>[] = [];
  let copies: ReturnType<typeof copyRow>[] = [];
  return {
    add(pm: PreparedMessage, row: Insertable<MessagesTable>, copy: ReturnType<typeof copyRow>) {
      messages.push(pm);
      rows.push(row);
      copies.push(copy);
    },
    async flush() {
      await beforeInsert();
      if (messages.length === 0) return;
      const [ms, rs, cs] = [messages, rows, copies];
      messages = [];
      rows = [];
      copies = [];
      await insertMessages(trx, rs);
      await insertMessageChunks(trx, ms.flatMap((pm) => pm.sourceChunks.map((data, seq) => ({ user_id: pm.row.user_id, message_id: pm.row.id, seq, data }))));
      await insertAttachments(trx, ms.flatMap((pm) => pm.attachments));
      await insertCopies(trx, cs);
    },
  };
}

function copyRow(target: { userId: string; accountId: string; folderId: string; uidvalidity: number }, c: CopyFields, messageId: string, now: number) {
  return {
    id: newId(),
    user_id: target.userId,
    message_id: messageId,
    account_id: target.accountId,
    folder_id: target.folderId,
    uidvalidity: target.uidvalidity,
    uid: c.uid,
    flags: c.flags,
    modseq: c.modseq,
    internal_date: c.internalDate,
    size: c.size,
    created_at: now,
    updated_at: now,
  };
}

interface CopyFields {
  uid: number;
  flags: string;
  modseq: number | null;
  internalDate: number | null;
  size: number;
}

type Target = Pick<PreparedBatch, 'userId' | 'accountId' | 'folderId' | 'uidvalidity'>;

async function attachCopy(trx: Executor, target: Target, c: CopyFields, messageId: string, now: number): Promise<void> {
  await insertCopy(trx, copyRow(target, c, messageId, now));
  await deleteTombstonesOf(trx, target.userId, messageId);
  await refreshMessageState(trx, target.userId, messageId, now);
}

/**
 * The existing message a new copy belongs to: same server id (EMAILID / X-GM-MSGID), else the
 * same bytes (keyed content hash), else the same ENVELOPE + size — the last only when the Message-IDs
 * agree and the message has no copy in this folder yet, so two look-alike messages stay apart.
 * Candidates are messages of this account with a live copy or a tombstone younger than 7 days.
 */
async function matchExisting(trx: Executor, batch: PreparedBatch, pm: PreparedMessage, now: number): Promise<string | null> {
  const { userId, accountId } = batch;
  const since = now - TOMBSTONE_MS;
  const eligible = async (c: { id: string; copy_count: number }) => c.copy_count > 0 || hasTombstoneSince(trx, userId, c.id, since);
  if (pm.emailId) {
    for (const c of await findByIdentity(trx, userId, accountId, { emailId: pm.emailId })) if (await eligible(c)) return c.id;
  }
  for (const c of await findByIdentity(trx, userId, accountId, { contentHash: pm.row.content_hash as Buffer })) if (await eligible(c)) return c.id;
  const own = pm.row.message_id_hash as Buffer | null;
  for (const c of await findByIdentity(trx, userId, accountId, { envelopeHash: pm.row.envelope_hash as Buffer })) {
    if (own && c.message_id_hash && !own.equals(c.message_id_hash)) continue;
    if (await hasCopyInFolder(trx, userId, c.id, batch.folderId)) continue;
    if (await eligible(c)) return c.id;
  }
  return null;
}

export interface EnvelopeCopy extends Omit<CopyFields, 'flags'> {
  flags: Iterable<string>;
  /** `envelopeHash(cipher, …)` of the FETCH ENVELOPE RFC822.SIZE response. */
  envelopeHash: Buffer;
  emailId?: string | null;
}

/**
 * Re-attaches copies known only by ENVELOPE + size (after a UIDVALIDITY change) to existing
 * messages without downloading bodies. Returns the UIDs that matched nothing: fetch those in full.
 */
export async function attachByEnvelope(trx: Executor, target: Target, items: readonly EnvelopeCopy[], now: number = Date.now()): Promise<{ attached: Map<number, string>; unmatched: number[] }> {
  const attached = new Map<number, string>();
  const unmatched: number[] = [];
  const since = now - TOMBSTONE_MS;
  for (const item of items) {
    const existing = await findCopyByUid(trx, target.userId, target.folderId, target.uidvalidity, item.uid);
    if (existing) {
      attached.set(item.uid, existing.message_id);
      continue;
    }
    let match: string | null = null;
    const candidates = [
      ...(item.emailId ? await findByIdentity(trx, target.userId, target.accountId, { emailId: item.emailId }) : []),
      ...(await findByIdentity(trx, target.userId, target.accountId, { envelopeHash: item.envelopeHash })),
    ];
    for (const c of candidates) {
      if (await hasCopyInFolder(trx, target.userId, c.id, target.folderId)) continue;
      if (c.copy_count > 0 || (await hasTombstoneSince(trx, target.userId, c.id, since))) {
        match = c.id;
        break;
      }
    }
    if (!match) {
      unmatched.push(item.uid);
      continue;
    }
    await attachCopy(trx, target, { ...item, flags: flagsText(item.flags) }, match, now);
    attached.set(item.uid, match);
  }
  return { attached, unmatched };
}

export interface FlagUpdate {
  uid: number;
  flags: Iterable<string>;
  modseq?: number | null;
}

/** Applies server flags to stored copies; returns how many copies changed. Unknown UIDs are ignored. */
export async function applyFlags(trx: Executor, userId: string, folderId: string, uidvalidity: number, updates: readonly FlagUpdate[], now: number = Date.now()): Promise<number> {
  const copies = new Map((await copiesByUids(trx, userId, folderId, uidvalidity, updates.map((u) => u.uid))).map((c) => [c.uid, c]));
  // A flag the user changed and the server has not confirmed yet keeps its local value (write-back).
  const pending = await pendingFlagsOf(trx, userId, [...copies.values()].map((c) => c.id));
  const touched = new Set<string>();
  let changed = 0;
  for (const u of updates) {
    const copy = copies.get(u.uid);
    if (!copy) continue;
    const flags = flagsText(withPendingFlags(u.flags, pending.get(copy.id)));
    const modseq = u.modseq ?? copy.modseq;
    if (flags === copy.flags && modseq === copy.modseq) continue;
    await updateCopyFlags(trx, userId, copy.id, flags, modseq, now);
    changed++;
    if (flags !== copy.flags) touched.add(copy.message_id);
  }
  for (const id of touched) await refreshMessageState(trx, userId, id, now);
  return changed;
}

function withPendingFlags(server: Iterable<string>, pending: { seen?: boolean; flagged?: boolean } | undefined): Iterable<string> {
  if (!pending) return server;
  const out = new Set(server);
  for (const [flag, want] of [['\\Seen', pending.seen], ['\\Flagged', pending.flagged]] as const) {
    if (want === true) out.add(flag);
    else if (want === false) out.delete(flag);
  }
  return out;
}

/** Removes copies that left a folder, leaving a tombstone each; returns how many were removed. */
export async function removeCopies(trx: Executor, userId: string, folderId: string, uidvalidity: number, uids: readonly number[], now: number = Date.now()): Promise<number> {
  return tombstoneCopies(trx, userId, await copiesByUids(trx, userId, folderId, uidvalidity, uids), now);
}

/**
 * After a UIDVALIDITY change: every copy of the folder under another UIDVALIDITY becomes a
 * tombstone, so the re-fetched copies re-attach to the same messages (done state, tags and
 * analysis survive). Returns how many copies were set aside.
 */
export async function reseedFolder(trx: Executor, userId: string, folderId: string, newUidvalidity: number, now: number = Date.now()): Promise<number> {
  const stale = await staleCopies(trx, userId, folderId, newUidvalidity);
  // Copies on their way into this folder (a pending move) have no server UID yet: leave them be.
  const moving = await copiesWithPendingMove(trx, userId, stale.map((c) => c.id));
  return tombstoneCopies(trx, userId, stale.filter((c) => !moving.has(c.id)), now);
}

async function tombstoneCopies(trx: Executor, userId: string, copies: readonly CopyRow[], now: number): Promise<number> {
  if (copies.length === 0) return 0;
  const messageIds = [...new Set(copies.map((c) => c.message_id))];
  const hashes = new Map<string, { envelope_hash: Buffer; message_id_hash: Buffer | null; content_hash: Buffer }>();
  for (let i = 0; i < messageIds.length; i += 500) {
    const rows = await trx
      .selectFrom('messages')
      .select(['id', 'envelope_hash', 'message_id_hash', 'content_hash'])
      .where('user_id', '=', userId)
      .where('id', 'in', messageIds.slice(i, i + 500))
      .execute();
    for (const r of rows) hashes.set(r.id, r);
  }
  await deleteCopies(trx, userId, copies.map((c) => c.id));
  await insertTombstones(
    trx,
    copies.map((c) => {
      const h = hashes.get(c.message_id)!;
      return {
        id: newId(),
        user_id: userId,
        message_id: c.message_id,
        account_id: c.account_id,
        folder_id: c.folder_id,
        envelope_hash: h.envelope_hash,
        message_id_hash: h.message_id_hash,
        content_hash: h.content_hash,
        removed_at: now,
      };
    }),
  );
  for (const id of messageIds) await refreshMessageState(trx, userId, id, now);
  return copies.length;
}

/** The UIDs stored for a folder under one UIDVALIDITY, ascending (for deletion detection). */
export function knownUids(ex: Executor, userId: string, folderId: string, uidvalidity: number): Promise<number[]> {
  return knownUidsQuery(ex, userId, folderId, uidvalidity);
}

/** Deletes messages whose last copy went more than 7 days ago (and the expired tombstones). */
export async function purgeExpired(trx: Executor, userId: string, now: number = Date.now()): Promise<{ messages: number; tombstones: number }> {
  const since = now - TOMBSTONE_MS;
  const doomed = await expiredOrphans(trx, userId, since);
  const tombstones = await deleteTombstonesBefore(trx, userId, since);
  await deleteMessages(trx, userId, doomed.map((m) => m.id));
  await recountThreads(trx, userId, doomed.flatMap((m) => (m.thread_id ? [m.thread_id] : [])), now);
  return { messages: doomed.length, tombstones };
}
