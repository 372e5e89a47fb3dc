import { expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { columnTypes } from '../../../src/db/columns.js';
import { MigrationError, assertSchemaCurrent, migrateDown, migrateUp, migrationStatus } from '../../../src/db/migrate.js';
import { migrations } from '../../../src/db/migrations/index.js';
import type { SchemaMigration } from '../../../src/db/migrations/types.js';
import { describeEachDialect } from '../../support/db.js';

async function tableNames(db: Kysely<any>): Promise<string[]> {
  return (await db.introspection.getTables()).map((t) => t.name).sort();
}

const good: SchemaMigration = {
  name: '9001-good',
  async up(db, dialect) {
    await db.schema.createTable('good_table').addColumn('id', columnTypes(dialect).id, (c) => c.primaryKey()).execute();
  },
  async down(db) {
    await db.schema.dropTable('good_table').execute();
  },
};

/** Creates a table, alters another, then fails: none of it may survive. */
const failing: SchemaMigration = {
  name: '9002-failing',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema.createTable('half_done').addColumn('id', t.id, (c) => c.primaryKey()).execute();
    await db.schema.alterTable('good_table').addColumn('extra', t.text).execute();
    await db.schema.createTable('good_table').addColumn('id', t.id).execute(); // already exists → error
  },
  async down() {},
};

describeEachDialect(
  'migrations',
  (ctx) => {
    it('apply on an empty database, report status, and refuse nothing when current', async () => {
      const applied = await migrateUp(ctx.db, ctx.dialect);
      expect(applied).toEqual(migrations.map((m) => m.name));
      expect(await migrateUp(ctx.db, ctx.dialect)).toEqual([]);
      const status = await migrationStatus(ctx.db, ctx.dialect);
      expect(status).toEqual({ applied: migrations.map((m) => m.name), pending: [], unknown: [] });
      await expect(assertSchemaCurrent(ctx.db, ctx.dialect)).resolves.toBeUndefined();
    });

    it('a failing migration leaves the schema exactly as it was', async () => {
      const list = [...migrations, good];
      await migrateUp(ctx.db, ctx.dialect, list);
      const before = await tableNames(ctx.db);
      const goodColumnsBefore = (await ctx.db.introspection.getTables()).find((t) => t.name === 'good_table')!.columns.map((c) => c.name);

      const error = await migrateUp(ctx.db, ctx.dialect, [...list, failing]).catch((e) => e);
      expect(error).toBeInstanceOf(MigrationError);
      expect(error.message).toContain('9002-failing');

      expect(await tableNames(ctx.db)).toEqual(before);
      expect(before).not.toContain('half_done');
      const goodColumnsAfter = (await ctx.db.introspection.getTables()).find((t) => t.name === 'good_table')!.columns.map((c) => c.name);
      expect(goodColumnsAfter).toEqual(goodColumnsBefore);
      const status = await migrationStatus(ctx.db, ctx.dialect, [...list, failing]);
      expect(status.pending).toEqual(['9002-failing']);
    });

    it('down undoes the last migration; code that does not know an applied migration refuses to run', async () => {
      await expect(assertSchemaCurrent(ctx.db, ctx.dialect)).rejects.toThrow(/newer than this version.*9001-good/);
      await expect(migrateUp(ctx.db, ctx.dialect)).rejects.toThrow(/does not know \(9001-good\)/);
      expect(await migrateDown(ctx.db, ctx.dialect, [...migrations, good])).toEqual(['9001-good']);
      expect(await tableNames(ctx.db)).not.toContain('good_table');
      await expect(assertSchemaCurrent(ctx.db, ctx.dialect)).resolves.toBeUndefined();

      const last = migrations.at(-1)!.name;
      expect(await migrateDown(ctx.db, ctx.dialect)).toEqual([last]);
      await expect(assertSchemaCurrent(ctx.db, ctx.dialect)).rejects.toThrow(/schema is behind/);
      await migrateUp(ctx.db, ctx.dialect);
    });
  },
  { empty: true },
);
