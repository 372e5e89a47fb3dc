import { columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/** Second factor, recovery codes, personal API tokens, invitations; session states for 2FA. */
export const access: SchemaMigration = {
  name: '0006-access',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema.alterTable('users').addColumn('totp_secret', t.blob).execute();
    await db.schema.alterTable('users').addColumn('totp_enabled_at', t.time).execute();
    await db.schema.alterTable('users').addColumn('totp_last_step', t.bigint).execute();
    // 'full', or 'pending_2fa' between a correct password and a correct second factor.
    await db.schema.alterTable('sessions').addColumn('state', t.text, (c) => c.notNull().defaultTo('full')).execute();

    await db.schema
      .createTable('recovery_codes')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('code_hash', t.text, (c) => c.notNull())
      .addColumn('used_at', t.time)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('recovery_codes_user').on('recovery_codes').columns(['user_id', 'code_hash']).execute();

    await db.schema
      .createTable('api_tokens')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', t.text, (c) => c.notNull())
      .addColumn('token_hash', t.text, (c) => c.notNull().unique())
      .addColumn('scopes', t.text, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('last_used_at', t.time)
      .addColumn('expires_at', t.time)
      .execute();
    await db.schema.createIndex('api_tokens_user').on('api_tokens').columns(['user_id', 'created_at']).execute();

    await db.schema
      .createTable('invitations')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('token_hash', t.text, (c) => c.notNull().unique())
      .addColumn('role', t.text, (c) => c.notNull())
      .addColumn('created_by', t.id, (c) => c.references('users.id').onDelete('set null'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('expires_at', t.time, (c) => c.notNull())
      .addColumn('accepted_at', t.time)
      .addColumn('accepted_user_id', t.id, (c) => c.references('users.id').onDelete('set null'))
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('invitations').execute();
    await db.schema.dropTable('api_tokens').execute();
    await db.schema.dropTable('recovery_codes').execute();
    await db.schema.alterTable('sessions').dropColumn('state').execute();
    await db.schema.alterTable('users').dropColumn('totp_last_step').execute();
    await db.schema.alterTable('users').dropColumn('totp_enabled_at').execute();
    await db.schema.alterTable('users').dropColumn('totp_secret').execute();
  },
};
