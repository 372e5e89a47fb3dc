import { columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/** Sign-in state: sessions, brute-force counters, rate-limit windows, the audit log. */
export const auth: SchemaMigration = {
  name: '0004-auth',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema.alterTable('users').addColumn('locked_until', t.time).execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id_hash', t.text, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('csrf_token', t.text, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('last_seen_at', t.time, (c) => c.notNull())
      .addColumn('expires_at', t.time, (c) => c.notNull())
      .addColumn('step_up_at', t.time)
      .addColumn('ip', t.text)
      .addColumn('user_agent', t.text)
      .execute();
    await db.schema.createIndex('sessions_user').on('sessions').columns(['user_id', 'expires_at']).execute();

    await db.schema
      .createTable('auth_throttle')
      .addColumn('key', t.text, (c) => c.primaryKey())
      .addColumn('failures', t.integer, (c) => c.notNull())
      .addColumn('last_failure_at', t.time, (c) => c.notNull())
      .addColumn('next_allowed_at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('rate_limits')
      .addColumn('key', t.text, (c) => c.primaryKey())
      .addColumn('window_start', t.time, (c) => c.notNull())
      .addColumn('hits', t.integer, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.references('users.id').onDelete('set null'))
      .addColumn('actor_id', t.id, (c) => c.references('users.id').onDelete('set null'))
      .addColumn('event', t.text, (c) => c.notNull())
      .addColumn('ip', t.text)
      .addColumn('details', t.text, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_events_user').on('audit_events').columns(['user_id', 'created_at']).execute();
    await db.schema.createIndex('audit_events_time').on('audit_events').column('created_at').execute();
  },
  async down(db) {
    await db.schema.dropTable('audit_events').execute();
    await db.schema.dropTable('rate_limits').execute();
    await db.schema.dropTable('auth_throttle').execute();
    await db.schema.dropTable('sessions').execute();
    await db.schema.alterTable('users').dropColumn('locked_until').execute();
  },
};
