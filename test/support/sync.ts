import type { Kysely } from 'kysely';
import type { ImapFlow } from 'imapflow';
import type { Crypto } from '../../src/crypto/crypto.js';
import type { Database } from '../../src/db/schema.js';
import { acquireLease, releaseLease } from '../../src/jobs/leases.js';
import { refreshFolders } from '../../src/mail/imap/folders.js';
import type { AccountsService } from '../../src/services/accounts.js';
import { createAccountSync, type AccountSyncResult } from '../../src/services/sync/account-sync.js';
import type { SyncStore } from '../../src/services/sync/folder-sync.js';
import { createSyncStore } from '../../src/services/sync/store-adapter.js';

/** The production account sync wired to a test app's accounts and crypto; `run` holds the lease like a job would. */
export function createTestSync(deps: { db: Kysely<Database>; crypto: Crypto; accounts: AccountsService; batchSize?: number; maxMessageBytes?: number; now?: () => number; onStored?: (userId: string, accountId: string, stored: number) => Promise<void>; wrapStore?: (store: SyncStore) => SyncStore }) {
  const now = deps.now ?? Date.now;
  const maxMessageBytes = deps.maxMessageBytes ?? 50 * 1024 * 1024;
  const sync = createAccountSync({
    db: deps.db,
    crypto: deps.crypto,
    connections: deps.accounts.imap,
    folders: { refresh: (userId, accountId, client) => refreshFolders({ db: deps.db, crypto: deps.crypto, now }, userId, accountId, client as ImapFlow) },
    store: (deps.wrapStore ?? ((s: SyncStore) => s))(createSyncStore({ maxMessageBytes, now })),
    options: { now, flagCheckIntervalMs: 15 * 60_000, batchSize: deps.batchSize ?? 20, batchBytes: 8 * 1024 * 1024, maxMessageBytes },
    onStored: deps.onStored,
  });
  return {
    /** The account sync itself (for the job handler in tests of retries). */
    accountSync: sync,
    async run(userId: string, accountId: string): Promise<AccountSyncResult> {
      const lease = await acquireLease(deps.db, accountId, 'test-sync', 60_000, now());
      if (!lease) throw new Error('lease busy');
      try {
        return await sync.run(userId, accountId, { lease, signal: new AbortController().signal, progress: async () => {} });
      } finally {
        await releaseLease(deps.db, lease);
      }
    },
  };
}

const MAIL_TABLES = ['messages', 'message_copies', 'message_chunks', 'attachments', 'attachment_chunks', 'threads', 'copy_tombstones'] as const;
export type MailRowCounts = Record<(typeof MAIL_TABLES)[number], number>;

/** Row counts of the mail tables, to prove a sync wrote nothing. */
export async function mailRowCounts(db: Kysely<any>): Promise<MailRowCounts> {
  const out = {} as MailRowCounts;
  for (const t of MAIL_TABLES) {
    const row = (await db.selectFrom(t).select((eb: any) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()) as { n: number | string };
    out[t] = Number(row.n);
  }
  return out;
}
