import { columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/**
 * Per-user data keys. `user_keys` names each key (user, version); `user_key_wraps` holds that key
 * wrapped by one or more master keys, so during a rotation processes on the old and the new ring
 * both find a wrap they can open. The data key itself is never stored in the clear.
 */
export const userKeys: SchemaMigration = {
  name: '0003-user-keys',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('user_keys')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('version', t.integer, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addPrimaryKeyConstraint('user_keys_pk', ['user_id', 'version'])
      .execute();
    await db.schema
      .createTable('user_key_wraps')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('version', t.integer, (c) => c.notNull())
      .addColumn('master_key_id', t.text, (c) => c.notNull())
      .addColumn('wrapped_key', t.blob, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addPrimaryKeyConstraint('user_key_wraps_pk', ['user_id', 'version', 'master_key_id'])
      .addForeignKeyConstraint('user_key_wraps_key_fk', ['user_id', 'version'], 'user_keys', ['user_id', 'version'], (c) =>
        c.onDelete('cascade'),
      )
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('user_key_wraps').execute();
    await db.schema.dropTable('user_keys').execute();
  },
};
