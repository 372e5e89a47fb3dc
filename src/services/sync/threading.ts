import type { Executor } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import { addToThread, insertThread, threadByRoots, threadBySubject, threadOfMessageIds } from '../../repositories/messages.js';
import type { ThreadingKeys } from './message-prepare.js';

/** A reply without In-Reply-To/References joins a thread by subject only if that thread was active this recently. */
export const SUBJECT_FALLBACK_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * The thread a new message belongs to: the thread of a message it refers to (References,
 * In-Reply-To), else a thread rooted at one of those ids or at its own id (children that arrived
 * first), else — only for a "Re:"-style subject without any reference — a recent thread with the
 * same subject. Otherwise it starts a thread. Counts the message in the thread.
 */
export async function assignThread(trx: Executor, userId: string, keys: ThreadingKeys, date: number, now: number): Promise<string> {
  let threadId = await threadOfMessageIds(trx, userId, keys.parentHashes);
  if (!threadId) threadId = await threadByRoots(trx, userId, [keys.rootHash, ...keys.parentHashes, ...(keys.ownHash ? [keys.ownHash] : [])]);
  if (!threadId && keys.subjectHash && keys.isReply && keys.parentHashes.length === 0) threadId = await threadBySubject(trx, userId, keys.subjectHash, date - SUBJECT_FALLBACK_MS);
  if (threadId) {
    await addToThread(trx, userId, threadId, date, now);
    return threadId;
  }
  const id = newId();
  await insertThread(trx, { id, user_id: userId, root_hash: keys.rootHash, subject_hash: keys.subjectHash, last_date: date, message_count: 1, created_at: now, updated_at: now });
  return id;
}
