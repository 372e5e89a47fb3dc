import type { Executor } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import { addThreadKeys, addToThread, insertThread, mergeThreads, threadBySubjectAndParticipants, threadsByRefs, type ThreadKey } from '../../repositories/threads.js';
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
