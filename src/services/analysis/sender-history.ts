import type { Kysely } from 'kysely';
import { normaliseAddress } from '../../ai/builtin/senders.js';
import type { AnalysisInput, UserSignals } from '../../ai/types.js';
import type { UserCipher } from '../../crypto/crypto.js';
import type { Database, MessageAddressesTable } from '../../db/schema.js';
import { assertFence, type Lease } from '../../jobs/leases.js';
import { accountsRepository } from '../../repositories/accounts.js';
import { correspondenceWith, sentEnvelopes, unindexedMessages, writeMessageAddresses } from '../../repositories/message-addresses.js';
import { listSenderRules } from '../../repositories/sender-rules.js';
import type { MessageEnvelope } from '../messages/message-reader.js';
import { CONTEXT } from '../sync/message-identity.js';
import { analysisInputOf, type StoredForAnalysis } from './analysis-input.js';

/** Purpose of the keyed hash of a lower-cased mail address (message_addresses). */
export const ADDRESS_PURPOSE = 'mail.address.v1';
/** Context of a sealed VIP pattern or own domain (sender_rules.value), also the purpose of its hash. */
export const SENDER_RULE_CONTEXT = 'sender_rule.value.v1';

export function addressHash(cipher: Pick<UserCipher, 'lookupHash'>, address: string): Buffer {
  return cipher.lookupHash(ADDRESS_PURPOSE, normaliseAddress(address));
}

/** The user's VIP patterns and own domains, opened, as the analyser takes them. */
export async function loadUserSignals(db: Kysely<Database>, cipher: UserCipher, userId: string): Promise<UserSignals> {
  const rows = await listSenderRules(db, userId);
  const open = (kind: 'vip' | 'own_domain') => rows.filter((r) => r.kind === kind).map((r) => cipher.openText(SENDER_RULE_CONTEXT, r.id, r.value));
  return { vipPatterns: open('vip'), ownDomains: open('own_domain'), trustedSenders: [] };
}

/**
 * Indexes the keyed hashes of the from/to/cc addresses of every message not indexed yet (of one
 * account, or all), so that correspondence counts see the whole mailbox — the Sent folder too —
 * before any message is rated. One short transaction per batch, fenced by the run's lease.
 */
export async function indexAddresses(db: Kysely<Database>, cipher: UserCipher, userId: string, accountId: string | undefined, lease?: Lease, batch = 200): Promise<number> {
  let indexed = 0;
  for (;;) {
    const rows = await unindexedMessages(db, userId, accountId, batch);
    if (rows.length === 0) return indexed;
    const prepared = rows.map((row) => {
      let entries: Array<Pick<MessageAddressesTable, 'role' | 'address_hash'>> = [];
      try {
        const env = JSON.parse(cipher.openText(CONTEXT.envelope, row.id, row.envelope)) as MessageEnvelope;
        const seen = new Set<string>();
        const add = (role: MessageAddressesTable['role'], address: string | null | undefined) => {
          const a = normaliseAddress(address ?? '');
          if (!a.includes('@') || seen.has(`${role}:${a}`)) return;
          seen.add(`${role}:${a}`);
          entries.push({ role, address_hash: addressHash(cipher, a) });
        };
        add('from', env.from?.address);
        for (const r of (env.to ?? []).slice(0, 100)) add('to', r.address);
        for (const r of (env.cc ?? []).slice(0, 100)) add('cc', r.address);
      } catch {
        // An envelope that cannot be read has no addresses to index; the analysis reports the failure.
        entries = [];
      }
      return { id: row.id, entries };
    });
    await db.transaction().execute(async (trx) => {
      if (lease) await assertFence(trx, lease.key, lease.token);
      for (const p of prepared) await writeMessageAddresses(trx, userId, p.id, p.entries);
    });
    indexed += rows.length;
    if (rows.length < batch) return indexed;
  }
}

export interface SenderHistory {
  earlierCorrespondence: number;
  userRepliedToSender: boolean;
}

/** Earlier correspondence with the message's sender and whether the user wrote to them, before the message's date. */
export async function senderHistory(db: Kysely<Database>, cipher: UserCipher, userId: string, message: { id: string; date: number; fromAddress: string | null | undefined }): Promise<SenderHistory> {
  const from = normaliseAddress(message.fromAddress ?? '');
  if (!from.includes('@')) return { earlierCorrespondence: 0, userRepliedToSender: false };
  const facts = await correspondenceWith(db, userId, addressHash(cipher, from), message.date, message.id);
  return { earlierCorrespondence: facts.earlier, userRepliedToSender: facts.userWrote };
}

/** The analyser's input for a stored message, with the sender's history from the address index. */
export async function inputWithHistory(db: Kysely<Database>, cipher: UserCipher, userId: string, row: StoredForAnalysis, userAddresses: string[]): Promise<AnalysisInput> {
  const { input } = analysisInputOf(cipher, row, userAddresses, 0);
  const own = new Set(userAddresses.map(normaliseAddress));
  if (own.has(normaliseAddress(input.from.address))) return input;
  const history = await senderHistory(db, cipher, userId, { id: row.id, date: row.date, fromAddress: input.from.address });
  return { ...input, thread: { ...input.thread, ...history } };
}

const ADDRESS = /^[^@\s]+@[^@\s]+$/;

/**
 * The user's own addresses in an account: the IMAP user name when it is an address, and the From
 * addresses of the newest messages in its Sent folder (the user wrote them).
 */
export async function accountAddresses(db: Kysely<Database>, cipher: UserCipher, userId: string, accountId: string): Promise<string[]> {
  const out = new Set<string>();
  const row = await accountsRepository.find(db, userId, accountId);
  if (row) {
    try {
      const user = (JSON.parse(cipher.openText('account.settings.v1', row.id, row.settings)) as { imap?: { user?: string } }).imap?.user ?? '';
      if (ADDRESS.test(user)) out.add(normaliseAddress(user));
    } catch {
      // Settings that cannot be read name no address; the Sent folder may still.
    }
  }
  for (const m of await sentEnvelopes(db, userId, accountId, 20)) {
    const from = (JSON.parse(cipher.openText(CONTEXT.envelope, m.id, m.envelope)) as MessageEnvelope).from?.address ?? '';
    if (ADDRESS.test(from)) out.add(normaliseAddress(from));
  }
  return [...out];
}
