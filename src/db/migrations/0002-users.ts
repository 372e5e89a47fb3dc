import { sql } from 'kysely';
import { checkIn, columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/** Users. Every user-owned table references users(id) ON DELETE CASCADE, so deleting a user removes all their data. */
export const users: SchemaMigration = {
  name: '0002-users',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('users')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('username', t.text, (c) => c.notNull())
      .addColumn('role', t.text, (c) => c.notNull().check(checkIn('role', ['admin', 'user'])))
      .addColumn('password_hash', t.text, (c) => c.notNull())
      .addColumn('is_disabled', t.flag, (c) => c.notNull().defaultTo(0))
      .addColumn('language', t.text, (c) => c.notNull().defaultTo('en'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .addColumn('password_changed_at', t.time, (c) => c.notNull())
      .execute();
    // User names are unique regardless of case.
    await db.schema.createIndex('users_username_lower').unique().on('users').expression(lowerUsername).execute();
  },
  async down(db) {
    await db.schema.dropTable('users').execute();
  },
};

const lowerUsername = sql`lower(username)`;
