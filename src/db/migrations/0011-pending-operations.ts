import { columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/**
 * Write-back: what the user changed locally (read, flag, move, trash, delete) and the server does
 * not know yet, one row per copy and kind ("seen", "flagged", "location"), coalesced in place. The
 * row keeps the copy's state before the first change, so a server refusal can put it back; a
 * refused operation stays as a "failed" row (error code only) until the next action on the message.
 */
export const pendingOperations: SchemaMigration = {
  name: '0011-pending-operations',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('pending_operations')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('account_id', t.id, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('message_id', t.id, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      // No foreign key: a pending delete removes the copy row locally (and a revert puts it back).
      .addColumn('copy_id', t.id, (c) => c.notNull())
      .addColumn('kind', t.text, (c) => c.notNull())
      .addColumn('state', t.text, (c) => c.notNull())
      // seen/flagged: the wanted value and the value before the first change.
      .addColumn('want_set', t.flag)
      .addColumn('orig_set', t.flag)
      // location: the target folder; null with kind "location" means delete permanently.
      .addColumn('target_folder_id', t.id)
      // Where the copy was before (folder, UIDVALIDITY, UID) and what a revert of a delete re-inserts.
      .addColumn('orig_folder_id', t.id, (c) => c.notNull())
      .addColumn('orig_uidvalidity', t.bigint, (c) => c.notNull())
      .addColumn('orig_uid', t.bigint, (c) => c.notNull())
      .addColumn('orig_flags', t.text, (c) => c.notNull())
      .addColumn('orig_modseq', t.bigint)
      .addColumn('orig_internal_date', t.time)
      .addColumn('orig_size', t.bigint, (c) => c.notNull())
      .addColumn('orig_created_at', t.time, (c) => c.notNull())
      .addColumn('error_code', t.text)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('pending_operations_copy').unique().on('pending_operations').columns(['user_id', 'copy_id', 'kind']).execute();
    await db.schema.createIndex('pending_operations_account').on('pending_operations').columns(['user_id', 'account_id', 'state']).execute();
    await db.schema.createIndex('pending_operations_message').on('pending_operations').columns(['user_id', 'message_id']).execute();
  },
  async down(db) {
    await db.schema.dropTable('pending_operations').execute();
  },
};
