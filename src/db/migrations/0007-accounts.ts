import { checkIn, columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';


/**
 * Mail accounts and their folders. Everything that names a person, a server or a folder is sealed;
 * what stays plain is state the scheduler and dashboards need without a user key.
 */
export const accounts: SchemaMigration = {
  name: '0007-accounts',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('accounts')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      // Sealed (account.name.v1): the label the user gave, e.g. "Work".
      .addColumn('name', t.blob, (c) => c.notNull())
      // Sealed JSON (account.settings.v1): IMAP and SMTP host, port, security, user, password, TLS pins.
      .addColumn('settings', t.blob, (c) => c.notNull())
      .addColumn('provider', t.text)
      .addColumn('state', t.text, (c) => c.notNull().defaultTo('idle').check(checkIn('state', ['idle', 'syncing', 'auth_error', 'error', 'deleting'])))
      .addColumn('sync_interval_minutes', t.integer, (c) => c.notNull())
      .addColumn('initial_window_days', t.integer, (c) => c.notNull())
      .addColumn('initial_max_per_folder', t.integer, (c) => c.notNull())
      .addColumn('capabilities', t.text)
      .addColumn('last_sync_at', t.time)
      .addColumn('last_error_code', t.text)
      .addColumn('last_error_message', t.text)
      .addColumn('last_error_at', t.time)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('accounts_user').on('accounts').columns(['user_id', 'created_at']).execute();

    await db.schema
      .createTable('folders')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('account_id', t.id, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      // Sealed (folder.path.v1): the server path, e.g. "INBOX/Bewerbungen".
      .addColumn('path', t.blob, (c) => c.notNull())
      // Keyed HMAC of the path (purpose folder.path.v1): finds a folder by path without opening every row.
      .addColumn('path_hash', t.blob, (c) => c.notNull())
      .addColumn('delimiter', t.text)
      .addColumn('role', t.text, (c) => c.check(checkIn('role', ['inbox', 'sent', 'drafts', 'trash', 'junk', 'archive', 'all', 'flagged', 'important'])))
      .addColumn('is_synced', t.flag, (c) => c.notNull())
      .addColumn('is_gone', t.flag, (c) => c.notNull().defaultTo(0))
      .addColumn('uidvalidity', t.bigint)
      .addColumn('uidnext', t.bigint)
      .addColumn('highestmodseq', t.bigint)
      .addColumn('message_count', t.integer, (c) => c.notNull().defaultTo(0))
      .addColumn('unseen_count', t.integer, (c) => c.notNull().defaultTo(0))
      .addColumn('last_full_check_at', t.time)
      .addColumn('last_flag_check_at', t.time)
      .addColumn('last_error_code', t.text)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('folders_account_path').unique().on('folders').columns(['user_id', 'account_id', 'path_hash']).execute();
  },
  async down(db) {
    await db.schema.dropTable('folders').execute();
    await db.schema.dropTable('accounts').execute();
  },
};
