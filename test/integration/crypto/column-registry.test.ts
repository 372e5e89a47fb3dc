import { describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { columnRegistry, encrypted, findRegistryProblems, plaintext, type SchemaTable } from '../../../src/crypto/column-registry.js';
import { columnTypes } from '../../../src/db/columns.js';
import { newId } from '../../../src/db/ids.js';
import { createTestCrypto, expectEncryptedColumnsSealed, insertTestUser } from '../../support/crypto.js';
import { describeEachDialect } from '../../support/db.js';

async function schemaTables(db: Kysely<any>): Promise<SchemaTable[]> {
  return (await db.introspection.getTables()).map((t) => ({ name: t.name, columns: t.columns.map((c) => ({ name: c.name, dataType: c.dataType })) }));
}

describeEachDialect('column registry against the migrated schema', (ctx) => {
  it('marks every column of every user table, and lists nothing that does not exist', async () => {
    const tables = await schemaTables(ctx.db);
    expect(tables.map((t) => t.name)).toContain('users'); // positive control: introspection sees the schema
    expect(findRegistryProblems(tables)).toEqual([]);
  });

  it('catches an unmarked column of a new user table, including a blob that should be encrypted', async () => {
    const t = columnTypes(ctx.dialect);
    await ctx.db.schema
      .createTable('probe_notes')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull())
      .addColumn('body', t.blob)
      .execute();
    const problems = findRegistryProblems(await schemaTables(ctx.db));
    expect(problems.map((p) => p.split(':')[0])).toEqual(['probe_notes.id', 'probe_notes.user_id', 'probe_notes.body']);
    expect(problems[2]).toBe('probe_notes.body: text/blob column missing from the column registry; mark it encrypted(context) or plaintext(reason)');

    const registry = {
      ...columnRegistry,
      probe_notes: { id: plaintext('row id'), user_id: plaintext('owner'), body: encrypted('probe.body.v1') },
    };
    expect(findRegistryProblems(await schemaTables(ctx.db), registry)).toEqual([]);

    // Stored values of encrypted columns must carry the envelope header.
    const crypto = createTestCrypto(ctx.db);
    const userId = await insertTestUser(ctx.db);
    const cipher = await crypto.ensureUserKey(userId);
    const sealedId = newId();
    await (ctx.db as any).insertInto('probe_notes').values({ id: sealedId, user_id: userId, body: cipher.sealText('probe.body.v1', sealedId, 'hi') }).execute();
    expect(await expectEncryptedColumnsSealed(ctx.db, registry)).toBe(1);
    await (ctx.db as any).insertInto('probe_notes').values({ id: newId(), user_id: userId, body: Buffer.from('plain text slipped through') }).execute();
    await expect(expectEncryptedColumnsSealed(ctx.db, registry)).rejects.toThrow(/probe_notes\.body/);
    await ctx.db.schema.dropTable('probe_notes').execute();
  });
});

describe('findRegistryProblems', () => {
  const users: SchemaTable = { name: 'users', columns: [{ name: 'id', dataType: 'text' }, { name: 'username', dataType: 'text' }] };
  const notes: SchemaTable = {
    name: 'notes',
    columns: [
      { name: 'user_id', dataType: 'uuid' },
      { name: 'title', dataType: 'bytea' },
      { name: 'body', dataType: 'text' },
      { name: 'summary', dataType: 'bytea' },
    ],
  };
  const settings: SchemaTable = { name: 'app_settings', columns: [{ name: 'value', dataType: 'text' }] };

  it('names registry entries for missing tables or columns, text columns marked encrypted, shared contexts and empty reasons', () => {
    const problems = findRegistryProblems([users, notes, settings], {
      users: { id: plaintext('row id'), username: plaintext(''), email: plaintext('gone') },
      notes: { user_id: plaintext('owner'), title: encrypted('note.text.v1'), body: encrypted('note.body.v1'), summary: encrypted('note.text.v1') },
      app_settings: { value: plaintext('not per user') },
      sessions: { id: plaintext('x') },
    });
    expect(problems).toEqual([
      'users.username: plaintext without a reason',
      'users.email: in the column registry but no such column exists',
      'notes.body: encrypted but stored as text, not a blob',
      'notes.summary: shares encryption context "note.text.v1" with notes.title',
      'app_settings: in the column registry but not a user table (no user_id column)',
      'sessions: in the column registry but no such table exists',
    ]);
  });
});
