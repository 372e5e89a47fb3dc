import type { Insertable, Selectable } from 'kysely';
import type { Executor, MessagesTable } from '../db/schema.js';

/** Logical messages (threads: threads.ts). Every query is scoped by user id. */

export type MessageRow = Selectable<MessagesTable>;

export interface IdentityCandidate {
  id: string;
  copy_count: number;
  message_id_hash: Buffer | null;
}

/** Rows per multi-row message INSERT: ~30 columns each, far below both databases' bind-parameter limits. */
const MESSAGES_PER_INSERT = 100;

export async function insertMessages(ex: Executor, rows: readonly Insertable<MessagesTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += MESSAGES_PER_INSERT) await ex.insertInto('messages').values(rows.slice(i, i + MESSAGES_PER_INSERT)).execute();
}

export async function findMessage(ex: Executor, userId: string, messageId: string): Promise<MessageRow | null> {
  const row = await ex.selectFrom('messages').selectAll().where('user_id', '=', userId).where('id', '=', messageId).executeTakeFirst();
  return row ?? null;
}

/**
 * Which of these identity values any message of the account carries (hex for hashes): one query per
 * kind, so a batch of new mail can skip the per-message look-ups that would find nothing.
 */
export async function presentIdentities(
  ex: Executor,
  userId: string,
  accountId: string,
  keys: { emailIds: string[]; contentHashes: Buffer[]; envelopeHashes: Buffer[] },
): Promise<{ emailIds: Set<string>; contentHashes: Set<string>; envelopeHashes: Set<string> }> {
  const out = { emailIds: new Set<string>(), contentHashes: new Set<string>(), envelopeHashes: new Set<string>() };
  const base = () => ex.selectFrom('messages').where('user_id', '=', userId).where('account_id', '=', accountId);
  for (let i = 0; i < keys.emailIds.length; i += 500) {
    for (const r of await base().select('email_id').where('email_id', 'in', keys.emailIds.slice(i, i + 500)).execute()) if (r.email_id) out.emailIds.add(r.email_id);
  }
  for (let i = 0; i < keys.contentHashes.length; i += 500) {
    for (const r of await base().select('content_hash').where('content_hash', 'in', keys.contentHashes.slice(i, i + 500)).execute()) out.contentHashes.add(r.content_hash.toString('hex'));
  }
  for (let i = 0; i < keys.envelopeHashes.length; i += 500) {
    for (const r of await base().select('envelope_hash').where('envelope_hash', 'in', keys.envelopeHashes.slice(i, i + 500)).execute()) out.envelopeHashes.add(r.envelope_hash.toString('hex'));
  }
  return out;
}

/** Messages of one account that carry the given identity value, oldest first. */
export async function findByIdentity(
  ex: Executor,
  userId: string,
  accountId: string,
  by: { emailId: string } | { contentHash: Buffer } | { envelopeHash: Buffer },
): Promise<IdentityCandidate[]> {
  let q = ex.selectFrom('messages').select(['id', 'copy_count', 'message_id_hash']).where('user_id', '=', userId).where('account_id', '=', accountId);
  if ('emailId' in by) q = q.where('email_id', '=', by.emailId);
  else if ('contentHash' in by) q = q.where('content_hash', '=', by.contentHash);
  else q = q.where('envelope_hash', '=', by.envelopeHash);
  return q.orderBy('id').limit(20).execute();
}

/** Sets copy count and the seen/flagged/answered state from the message's copies (any copy with the flag counts). */
export async function refreshMessageState(ex: Executor, userId: string, messageId: string, now: number): Promise<void> {
  const copies = await ex.selectFrom('message_copies').select('flags').where('user_id', '=', userId).where('message_id', '=', messageId).execute();
  const any = (flag: string) => (copies.some((c) => c.flags.split(' ').includes(flag)) ? 1 : 0);
  await ex
    .updateTable('messages')
    .set({ copy_count: copies.length, is_seen: any('\\Seen'), is_flagged: any('\\Flagged'), is_answered: any('\\Answered'), updated_at: now })
    .where('user_id', '=', userId)
    .where('id', '=', messageId)
    .execute();
}

export async function setDone(ex: Executor, userId: string, messageId: string, done: boolean, now: number): Promise<boolean> {
  const res = await ex
    .updateTable('messages')
    .set({ is_done: done ? 1 : 0, done_at: done ? now : null, updated_at: now })
    .where('user_id', '=', userId)
    .where('id', '=', messageId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Messages without copies and without a tombstone at or after `since`: their 7 days are over. */
export async function expiredOrphans(ex: Executor, userId: string, since: number): Promise<Array<{ id: string; thread_id: string | null }>> {
  return ex
    .selectFrom('messages')
    .select(['id', 'thread_id'])
    .where('user_id', '=', userId)
    .where('copy_count', '=', 0)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('copy_tombstones as t')
            .select('t.id')
            .where('t.user_id', '=', userId)
            .whereRef('t.message_id', '=', 'messages.id')
            .where('t.removed_at', '>=', since),
        ),
      ),
    )
    .execute();
}

export async function deleteMessages(ex: Executor, userId: string, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) await ex.deleteFrom('messages').where('user_id', '=', userId).where('id', 'in', ids.slice(i, i + 500)).execute();
}
