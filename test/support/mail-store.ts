import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Crypto, UserCipher } from '../../src/crypto/crypto.js';
import { newId } from '../../src/db/ids.js';
import type { Database } from '../../src/db/schema.js';
import type { IncomingCopy } from '../../src/services/sync/message-prepare.js';
import { createTestCrypto, insertTestUser } from './crypto.js';
import type { MaildirEntry } from './mail/index.js';

/** A user with a data key, one account and named folders: what the store needs around it. */
export interface StoreFixture {
  userId: string;
  crypto: Crypto;
  cipher: UserCipher;
  accountId: string;
  folder(name: string): Promise<string>;
}

export async function createStoreFixture(db: Kysely<Database>): Promise<StoreFixture> {
  const crypto = createTestCrypto(db);
  const userId = await insertTestUser(db);
  const cipher = await crypto.ensureUserKey(userId);
  const accountId = await insertAccount(db, cipher);
  const folders = new Map<string, string>();
  return {
    userId,
    crypto,
    cipher,
    accountId,
    async folder(name) {
      let id = folders.get(name);
      if (!id) folders.set(name, (id = await insertFolder(db, cipher, accountId, name)));
      return id;
    },
  };
}

// accounts/folders are written directly: their repository belongs to the accounts work (issue 8).
export async function insertAccount(db: Kysely<Database>, cipher: UserCipher): Promise<string> {
  const id = newId();
  const now = Date.now();
  await (db as Kysely<any>)
    .insertInto('accounts')
    .values({
      id,
      user_id: cipher.userId,
      name: cipher.sealText('account.name.v1', id, 'Test'),
      settings: cipher.sealText('account.settings.v1', id, '{}'),
      sync_interval_minutes: 5,
      initial_window_days: 90,
      initial_max_per_folder: 5000,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

export async function insertFolder(db: Kysely<Database>, cipher: UserCipher, accountId: string, name: string): Promise<string> {
  const id = newId();
  const now = Date.now();
  await (db as Kysely<any>)
    .insertInto('folders')
    .values({
      id,
      user_id: cipher.userId,
      account_id: accountId,
      path: cipher.sealText('folder.path.v1', id, name),
      path_hash: cipher.lookupHash('folder.path.v1', name),
      is_synced: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

export const STORE_TABLES = ['threads', 'messages', 'message_copies', 'message_chunks', 'attachments', 'attachment_chunks', 'copy_tombstones'] as const;

/** Row counts of every mail-store table. */
export async function countStoreRows(db: Kysely<Database>): Promise<Record<(typeof STORE_TABLES)[number], number>> {
  const out = {} as Record<(typeof STORE_TABLES)[number], number>;
  for (const table of STORE_TABLES) {
    const row = await (db as Kysely<any>).selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

/** A Maildir's messages of one folder as the sync loop would hand them over, UIDs 1… in manifest order. */
export function maildirCopies(root: string, entries: readonly MaildirEntry[], firstUid = 1): Array<IncomingCopy & { entry: MaildirEntry; raw: Buffer }> {
  return entries.map((entry, i) => ({
    entry,
    uid: firstUid + i,
    flags: entry.flags,
    internalDate: entry.dateMs,
    size: entry.size,
    raw: fs.readFileSync(path.join(root, entry.file)),
  }));
}

export async function collect(chunks: AsyncIterable<Buffer>): Promise<{ data: Buffer; count: number; largest: number }> {
  const parts: Buffer[] = [];
  let largest = 0;
  for await (const c of chunks) {
    parts.push(c);
    largest = Math.max(largest, c.length);
  }
  return { data: Buffer.concat(parts), count: parts.length, largest };
}

/**
 * Broken encoded words whose intended subject no correct decoder can show: B-encoded text with
 * characters cut out, and Q-encoded text of a subject with a "?" (the generator leaves it unescaped,
 * so "?=" ends the word early and the rest is literal text, as RFC 2047 says). Every other kind,
 * malformed or not, must show the manifest's subject.
 */
export function isUnrecoverable(m: MaildirEntry, maildir: string): boolean {
  if (m.kind !== 'malformed-bad-encoded-word') return false;
  const head = fs.readFileSync(path.join(maildir, m.file)).toString('latin1');
  return /^Subject: =\?utf-8\?B\?/m.test(head) || (/^Subject: =\?[^?]+\?Q\?/m.test(head) && m.subject.includes('?'));
}
