import { beforeAll, expect, it } from 'vitest';
import { createCrypto, type Crypto } from '../../../src/crypto/crypto.js';
import { staticMasterKeys } from '../../../src/crypto/master-keys.js';
import { newId } from '../../../src/db/ids.js';
import { userKeyRepository } from '../../../src/repositories/user-keys.js';
import { columnTypes } from '../../../src/db/columns.js';
import { createTestCrypto, insertTestUser, testKeyRing } from '../../support/crypto.js';
import { describeEachDialect } from '../../support/db.js';

describeEachDialect('envelope encryption with per-user data keys', (ctx) => {
  const ring = testKeyRing();
  let crypto: Crypto;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    crypto = createTestCrypto(ctx.db, ring);
    alice = await insertTestUser(ctx.db);
    bob = await insertTestUser(ctx.db);
    const t = columnTypes(ctx.dialect);
    // A scratch table shaped like a real user table, to move ciphertexts between rows, columns and users.
    await ctx.db.schema
      .createTable('scratch_notes')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull())
      .addColumn('title', t.blob)
      .addColumn('body', t.blob)
      .execute();
  });

  it('a user without a data key has none until ensureUserKey creates one; then any instance opens the data', async () => {
    await expect(crypto.forUser(alice)).rejects.toMatchObject({ code: 'USER_KEY_MISSING' });
    await crypto.ensureUserKey(alice);
    await crypto.ensureUserKey(alice); // idempotent
    const rows = await ctx.db.selectFrom('user_keys').selectAll().where('user_id', '=', alice).execute();
    expect(rows.map((r) => r.version)).toEqual([1]);

    const sealed = await crypto.sealText(alice, 'note.title.v1', 'r1', 'Quarterly numbers');
    const fresh = createTestCrypto(ctx.db, ring); // another process with the same ring and an empty cache
    expect(await fresh.openText(alice, 'note.title.v1', 'r1', sealed)).toBe('Quarterly numbers');
    await expect(createTestCrypto(ctx.db).forUser(alice)).rejects.toMatchObject({ code: 'MASTER_KEY_UNAVAILABLE' });
  });

  it('a ciphertext copied to another row, column or user does not open', async () => {
    await crypto.ensureUserKey(bob);
    const a = await crypto.forUser(alice);
    const b = await crypto.forUser(bob);
    const r1 = newId();
    const r2 = newId();
    const br = newId();
    await ctx.db
      .insertInto('scratch_notes' as any)
      .values([
        { id: r1, user_id: alice, title: a.sealText('note.title.v1', r1, 'Alpha'), body: a.sealText('note.body.v1', r1, 'alpha body') },
        { id: r2, user_id: alice, title: a.sealText('note.title.v1', r2, 'Beta'), body: a.sealText('note.body.v1', r2, 'beta body') },
        { id: br, user_id: bob, title: b.sealText('note.title.v1', br, 'Bob'), body: null },
      ])
      .execute();
    const read = async (id: string) => (await (ctx.db as any).selectFrom('scratch_notes').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as {
      title: Buffer;
      body: Buffer | null;
    };
    const row1 = await read(r1);
    // Positive control: each value opens where it belongs.
    expect(a.openText('note.title.v1', r1, row1.title)).toBe('Alpha');
    expect(a.openText('note.body.v1', r1, row1.body!)).toBe('alpha body');

    // Copied to another row (same user, same column).
    await (ctx.db as any).updateTable('scratch_notes').set({ title: row1.title }).where('id', '=', r2).execute();
    await expect(crypto.openText(alice, 'note.title.v1', r2, (await read(r2)).title)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    // Copied to another column of the same row.
    await (ctx.db as any).updateTable('scratch_notes').set({ body: row1.title }).where('id', '=', r1).execute();
    await expect(crypto.openText(alice, 'note.body.v1', r1, (await read(r1)).body!)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    // Copied to another user's row, keeping the row id: bob's key and user id do not fit.
    await expect(crypto.openText(bob, 'note.title.v1', r1, row1.title)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    await (ctx.db as any).updateTable('scratch_notes').set({ title: row1.title }).where('id', '=', br).execute();
    await expect(crypto.openText(bob, 'note.title.v1', br, (await read(br)).title)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('bytes round-trip; keyed hashes are per user and per purpose and survive a restart', async () => {
    const blob = Buffer.from([0, 1, 2, 250, 255]);
    expect(await crypto.openBytes(alice, 'note.attachment.v1', 'r9', await crypto.sealBytes(alice, 'note.attachment.v1', 'r9', blob))).toEqual(blob);

    const h = await crypto.lookupHash(alice, 'message.sender.v1', 'carol@example.org');
    expect(h).toHaveLength(32);
    expect(await createTestCrypto(ctx.db, ring).lookupHash(alice, 'message.sender.v1', 'carol@example.org')).toEqual(h);
    expect(await crypto.lookupHash(bob, 'message.sender.v1', 'carol@example.org')).not.toEqual(h);
    expect(await crypto.lookupHash(alice, 'message.recipient.v1', 'carol@example.org')).not.toEqual(h);
    const content = await crypto.contentHash(alice, Buffer.from('From: x\r\n\r\nbody'));
    expect(await createTestCrypto(ctx.db, ring).contentHash(alice, Buffer.from('From: x\r\n\r\nbody'))).toEqual(content);
    expect(await crypto.contentHash(bob, Buffer.from('From: x\r\n\r\nbody'))).not.toEqual(content);
  });

  it('a key fetched before a transaction seals inside it, and a new user gets a key in the transaction that creates them', async () => {
    const cipher = await crypto.forUser(alice);
    const id = newId();
    await ctx.db.transaction().execute(async (trx) => {
      await (trx as any).insertInto('scratch_notes').values({ id, user_id: alice, title: cipher.sealText('note.title.v1', id, 'in trx') }).execute();
    });
    const row = await (ctx.db as any).selectFrom('scratch_notes').select('title').where('id', '=', id).executeTakeFirstOrThrow();
    expect(cipher.openText('note.title.v1', id, row.title)).toBe('in trx');

    const carol = newId();
    const sealed = await ctx.db.transaction().execute(async (trx) => {
      const now = Date.now();
      await trx
        .insertInto('users')
        .values({ id: carol, username: `carol_${carol.slice(-6)}`, role: 'user', password_hash: 'x', is_disabled: 0, language: 'en', created_at: now, updated_at: now, password_changed_at: now })
        .execute();
      return (await crypto.ensureUserKey(carol, trx)).sealText('note.title.v1', 'c1', 'hello carol');
    });
    expect(await createTestCrypto(ctx.db, ring).openText(carol, 'note.title.v1', 'c1', sealed)).toBe('hello carol');
  });

  it('deleting a user deletes their data keys', async () => {
    const dave = await insertTestUser(ctx.db);
    await crypto.ensureUserKey(dave);
    await ctx.db.deleteFrom('users').where('id', '=', dave).execute();
    expect(await ctx.db.selectFrom('user_key_wraps').select('user_id').where('user_id', '=', dave).execute()).toEqual([]);
    expect(await ctx.db.selectFrom('user_keys').select('user_id').where('user_id', '=', dave).execute()).toEqual([]);
  });

  it('keeps a bounded number of users\' keys in memory and reads evicted ones again', async () => {
    let reads = 0;
    const counting = {
      ...userKeyRepository,
      wrapsForUser: (ex: Parameters<typeof userKeyRepository.wrapsForUser>[0], userId: string) => {
        reads++;
        return userKeyRepository.wrapsForUser(ex, userId);
      },
    };
    const small = createCrypto({ ring: staticMasterKeys(ring), db: ctx.db, repo: counting, cacheSize: 2 });
    await small.forUser(alice);
    await small.forUser(alice);
    expect(reads).toBe(1);
    await small.forUser(bob);
    const carolOrNew = await insertTestUser(ctx.db);
    await small.ensureUserKey(carolOrNew); // third user: alice (least recently used) is evicted
    reads = 0;
    await small.forUser(bob);
    expect(reads).toBe(0);
    await small.forUser(alice);
    expect(reads).toBe(1);
  });
});
