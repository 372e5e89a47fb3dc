import { columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

export const appSettings: SchemaMigration = {
  name: '0001-app-settings',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('app_settings')
      .addColumn('key', t.text, (c) => c.primaryKey())
      .addColumn('value', t.text, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('app_settings').execute();
  },
};
