import type { Insertable } from 'kysely';
import type { Executor, ThreadsTable } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import {
  addThreadKeys,
  addToThread,
  bumpThreads,
  insertThread,
  insertThreads,
  mergeThreads,
  threadBySubjectAndParticipants,
  threadRefsOf,
  threadsByRefs,
  upsertThreadKeys,
  type KeyRow,
  type ThreadKey,
} from '../../repositories/threads.js';
import type { ThreadingKeys } from './message-prepare.js';

/** The subject fallback joins a thread only if its participants were active within this distance of the message's date. */
export const SUBJECT_FALLBACK_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The thread a new message belongs to, across sync runs, folders and accounts of the user:
 *
 * 1. Every thread that already holds the message's own Message-ID or one it refers to (References,
 *    In-Reply-To) — as a stored message or as a reference of one. Replies that arrived first have
 *    recorded their parent's id, so a late parent finds them. When the message links several
 *    threads, they merge into the oldest.
 * 2. Otherwise, for a reply-style subject ("Re:", "AW:", "Fwd:" …), a thread with the same
 *    normalised subject in which both the sender and one of the recipients took part within 30 days.
 * 3. Otherwise a new thread.
 *
 * The message's ids and participant addresses are recorded as keyed hashes for later messages.
 */
export async function assignThread(trx: Executor, userId: string, keys: ThreadingKeys, date: number, now: number, hooks: { beforeMerge?: () => Promise<void> } = {}): Promise<string> {
  const refs = [...(keys.ownHash ? [keys.ownHash] : []), ...keys.parentHashes];
  const linked = await threadsByRefs(trx, userId, refs);
  let threadId: string | null = linked[0] ?? null;
  if (threadId && linked.length > 1) {
    await hooks.beforeMerge?.();
    await mergeThreads(trx, userId, threadId, linked.slice(1), now);
  }
  if (!threadId && keys.isReply && keys.subjectHash && keys.senderHash) {
    threadId = await threadBySubjectAndParticipants(trx, userId, {
      subjectHash: keys.subjectHash,
      senderHash: keys.senderHash,
      recipientHashes: keys.recipientHashes,
      from: date - SUBJECT_FALLBACK_MS,
      to: date + SUBJECT_FALLBACK_MS,
    });
  }
  if (threadId) {
    await addToThread(trx, userId, threadId, date, now);
  } else {
    threadId = newId();
    await insertThread(trx, { id: threadId, user_id: userId, root_hash: keys.rootHash, subject_hash: keys.subjectHash, last_date: date, message_count: 1, created_at: now, updated_at: now });
  }
  const threadKeys: ThreadKey[] = [
    ...refs.map((hash) => ({ kind: 'ref' as const, hash })),
    ...[keys.senderHash, ...keys.recipientHashes].flatMap((hash) => (hash ? [{ kind: 'addr' as const, hash }] : [])),
  ];
  await addThreadKeys(trx, userId, threadId, threadKeys, date);
  return threadId;
}

/**
 * Thread assignment for a batch of new messages, with the same result as `assignThread` one message
 * at a time but far fewer statements: the threads that hold the batch's references are read in one
 * query, and new threads, their keys and the counts of existing threads are written together
 * (`flush`, before the batch's messages are inserted). The keys of this batch's messages are known
 * in memory, so a reply finds a parent of the same batch. Whenever a message links more than one
 * thread (a merge), or the subject fallback needs the participant index, pending writes go first and
 * the database answers as in `assignThread`.
 */
export function createThreadAssigner(trx: Executor, userId: string, now: number, hooks: { beforeMerge?: () => Promise<void> } = {}) {
  /** Threads that hold a reference, per reference hash (hex): from the database, then this batch's. */
  let known: Map<string, Set<string>> | null = null;
  let stale = false;
  const fresh: Insertable<ThreadsTable>[] = [];
  const freshById = new Map<string, Insertable<ThreadsTable>>();
  const bumps = new Map<string, { count: number; lastDate: number }>();
  const keys: Array<KeyRow & { thread_id: string }> = [];
  const hex = (h: Buffer) => h.toString('hex');
  const refsOf = (k: ThreadingKeys) => [...(k.ownHash ? [k.ownHash] : []), ...k.parentHashes];

  const remember = (hash: Buffer, threadId: string) => {
    const set = known!.get(hex(hash)) ?? new Set<string>();
    set.add(threadId);
    known!.set(hex(hash), set);
  };

  const flush = async () => {
    await insertThreads(trx, fresh.splice(0));
    freshById.clear();
    await upsertThreadKeys(trx, userId, keys.splice(0));
    await bumpThreads(trx, userId, bumps, now);
    bumps.clear();
  };

  return {
    /** Reads the threads of every reference of the batch at once. */
    async prime(batch: readonly ThreadingKeys[]): Promise<void> {
      known = new Map();
      const hashes = [...new Map(batch.flatMap(refsOf).map((h) => [hex(h), h])).values()];
      for (const r of await threadRefsOf(trx, userId, hashes)) remember(r.hash, r.id);
    },

    async assign(k: ThreadingKeys, date: number): Promise<string> {
      if (!known || stale) {
        // After a merge the batch's view of the database is out of date: one message at a time.
        await flush();
        return assignThread(trx, userId, k, date, now, hooks);
      }
      const refs = refsOf(k);
      const linked = new Set(refs.flatMap((h) => [...(known!.get(hex(h)) ?? [])]));
      let threadId: string | null = linked.size === 1 ? [...linked][0]! : null;
      if (linked.size > 1) {
        await flush();
        stale = true;
        return assignThread(trx, userId, k, date, now, hooks);
      }
      if (!threadId && k.isReply && k.subjectHash && k.senderHash) {
        await flush();
        threadId = await threadBySubjectAndParticipants(trx, userId, {
          subjectHash: k.subjectHash,
          senderHash: k.senderHash,
          recipientHashes: k.recipientHashes,
          from: date - SUBJECT_FALLBACK_MS,
          to: date + SUBJECT_FALLBACK_MS,
        });
      }
      if (threadId) {
        const pending = freshById.get(threadId);
        if (pending) {
          pending.message_count = Number(pending.message_count) + 1;
          pending.last_date = Math.max(Number(pending.last_date), date);
        } else {
          const b = bumps.get(threadId) ?? { count: 0, lastDate: date };
          bumps.set(threadId, { count: b.count + 1, lastDate: Math.max(b.lastDate, date) });
        }
      } else {
        threadId = newId();
        const row = { id: threadId, user_id: userId, root_hash: k.rootHash, subject_hash: k.subjectHash, last_date: date, message_count: 1, created_at: now, updated_at: now };
        fresh.push(row);
        freshById.set(threadId, row);
      }
      for (const h of refs) {
        remember(h, threadId);
        keys.push({ thread_id: threadId, kind: 'ref', key_hash: h, first_date: date, last_date: date });
      }
      for (const h of [k.senderHash, ...k.recipientHashes]) if (h) keys.push({ thread_id: threadId, kind: 'addr', key_hash: h, first_date: date, last_date: date });
      return threadId;
    },

    /** Writes new threads, keys and counts; call before inserting the batch's messages. */
    flush,
  };
}
