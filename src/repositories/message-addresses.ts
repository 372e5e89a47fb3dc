import type { Executor, MessageAddressesTable } from '../db/schema.js';

/**
 * Keyed hashes of the addresses on each message (from, to, cc), so the analyser can tell how often
 * the user heard from a sender and whether they ever wrote back — without a plaintext address.
 * Every query is scoped by user id.
 */

/** Messages whose addresses are not indexed yet, oldest first, with their sealed envelope. */
export async function unindexedMessages(ex: Executor, userId: string, accountId: string | undefined, limit: number) {
  let q = ex.selectFrom('messages').select(['id', 'envelope']).where('user_id', '=', userId).where('addresses_indexed', '=', 0);
  if (accountId) q = q.where('account_id', '=', accountId);
  return q.orderBy('id').limit(limit).execute();
}

/** Replaces the message's indexed addresses and marks it indexed. */
export async function writeMessageAddresses(ex: Executor, userId: string, messageId: string, rows: ReadonlyArray<Pick<MessageAddressesTable, 'role' | 'address_hash'>>): Promise<void> {
  await ex.deleteFrom('message_addresses').where('user_id', '=', userId).where('message_id', '=', messageId).execute();
  if (rows.length > 0) await ex.insertInto('message_addresses').values(rows.map((r) => ({ ...r, user_id: userId, message_id: messageId }))).execute();
  await ex.updateTable('messages').set({ addresses_indexed: 1 }).where('user_id', '=', userId).where('id', '=', messageId).execute();
}

export interface CorrespondenceFacts {
  /** Earlier messages from this sender plus earlier messages the user sent to them. */
  earlier: number;
  /** The user sent mail to this address (a message in a Sent folder addressed to it) or answered one of theirs, before this message. */
  userWrote: boolean;
}

/** What the user's stored mail says about one sender, before `beforeDate` (the message itself excluded). */
export async function correspondenceWith(ex: Executor, userId: string, addressHash: Buffer, beforeDate: number, excludeMessageId: string): Promise<CorrespondenceFacts> {
  // CROSS JOIN: SQLite keeps the address index as the outer loop (an inner join let it walk every
  // earlier message of the user by date, once per analysed message); PostgreSQL plans it as a join.
  const received = await ex
    .selectFrom('message_addresses as a')
    .crossJoin('messages as m')
    .whereRef('m.id', '=', 'a.message_id')
    .select([(eb) => eb.fn.countAll<number | string>().as('n'), (eb) => eb.fn.max('m.is_answered').as('answered')])
    .where('a.user_id', '=', userId)
    .where('a.address_hash', '=', addressHash)
    .where('a.role', '=', 'from')
    .where('m.user_id', '=', userId)
    .where('m.copy_count', '>', 0)
    .where('m.date', '<', beforeDate)
    .where('m.id', '!=', excludeMessageId)
    .executeTakeFirstOrThrow();
  // Mail the user sent to them: a message in a Sent folder with the address in To or Cc.
  const sent = await ex
    .selectFrom('message_addresses as a')
    .crossJoin('messages as m')
    .whereRef('m.id', '=', 'a.message_id')
    .select((eb) => eb.fn.count<number | string>('m.id').distinct().as('n'))
    .where('a.user_id', '=', userId)
    .where('a.address_hash', '=', addressHash)
    .where('a.role', 'in', ['to', 'cc'])
    .where('m.user_id', '=', userId)
    .where('m.date', '<', beforeDate)
    .where('m.id', '!=', excludeMessageId)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('message_copies as c')
          .innerJoin('folders as f', 'f.id', 'c.folder_id')
          .select('c.id')
          .where('c.user_id', '=', userId)
          .whereRef('c.message_id', '=', 'm.id')
          .where('f.role', '=', 'sent'),
      ),
    )
    .executeTakeFirstOrThrow();
  return {
    earlier: Number(received.n) + Number(sent.n),
    userWrote: Number(sent.n) > 0 || Number(received.answered ?? 0) === 1,
  };
}

/** The sealed envelopes of the account's newest messages in a Sent folder (their From is the user). */
export async function sentEnvelopes(ex: Executor, userId: string, accountId: string, limit: number) {
  return ex
    .selectFrom('messages as m')
    .select(['m.id', 'm.envelope'])
    .where('m.user_id', '=', userId)
    .where('m.account_id', '=', accountId)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('message_copies as c')
          .innerJoin('folders as f', 'f.id', 'c.folder_id')
          .select('c.id')
          .where('c.user_id', '=', userId)
          .whereRef('c.message_id', '=', 'm.id')
          .where('f.role', '=', 'sent'),
      ),
    )
    .orderBy('m.date', 'desc')
    .limit(limit)
    .execute();
}
