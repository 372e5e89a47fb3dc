import { expect } from 'vitest';
import type { Kysely } from 'kysely';
import { columnRegistry, encryptedColumns, type ColumnRegistry } from '../../src/crypto/column-registry.js';
import { createCrypto, type Crypto } from '../../src/crypto/crypto.js';
import { isSealed } from '../../src/crypto/envelope.js';
import { generateMasterKey, type KeyRing } from '../../src/crypto/keyring.js';
import { staticMasterKeys } from '../../src/crypto/master-keys.js';
import type { Database, Executor } from '../../src/db/schema.js';
import { newId } from '../../src/db/ids.js';

/** A ring with one fresh random key. */
export function testKeyRing(): KeyRing {
  const { id, key } = generateMasterKey();
  return { keys: new Map([[id, key]]), activeId: id };
}

/** The crypto service on a test database with an in-memory ring (a fresh random key unless one is given). */
export function createTestCrypto(db: Executor, ring: KeyRing = testKeyRing()): Crypto {
  return createCrypto({ ring: staticMasterKeys(ring), db });
}

/** Inserts a user row (the minimum the schema demands) and returns its id. */
export async function insertTestUser(db: Kysely<Database>, username = `u_${newId().slice(-12)}`): Promise<string> {
  const id = newId();
  const now = Date.now();
  await db
    .insertInto('users')
    .values({ id, username, role: 'user', password_hash: 'not-a-real-hash', is_disabled: 0, language: 'en', created_at: now, updated_at: now, password_changed_at: now })
    .execute();
  return id;
}

/**
 * Reads every stored value of every `encrypted(...)` column in the registry and fails, naming the
 * table and column (never the value), if any non-null value lacks the sealed-envelope header.
 * Returns how many values it checked, so a test can assert it actually saw some.
 */
export async function expectEncryptedColumnsSealed(db: Kysely<Database>, registry: ColumnRegistry = columnRegistry): Promise<number> {
  let checked = 0;
  const unsealed: string[] = [];
  for (const { table, column } of encryptedColumns(registry)) {
    const rows = await (db as Kysely<any>).selectFrom(table).select(column).where(column, 'is not', null).execute();
    for (const row of rows) {
      checked++;
      if (!isSealed(row[column])) unsealed.push(`${table}.${column}`);
    }
  }
  expect([...new Set(unsealed)], 'columns holding values without the encryption header').toEqual([]);
  return checked;
}
