import type { SchemaMigration } from './types.js';

/**
 * The sync looks up content and envelope hashes within one account. With indexes on (user_id, hash)
 * SQLite (without statistics) preferred `messages_email_id` (user_id, account_id) for those queries
 * and scanned every message of the account once per batch. The indexes now lead with the account,
 * as every query on these hashes does.
 */
export const identityIndexes: SchemaMigration = {
  name: '0016-identity-indexes',
  async up(db) {
    await db.schema.dropIndex('messages_content').execute();
    await db.schema.dropIndex('messages_envelope').execute();
    await db.schema.createIndex('messages_account_content').on('messages').columns(['user_id', 'account_id', 'content_hash']).execute();
    await db.schema.createIndex('messages_account_envelope').on('messages').columns(['user_id', 'account_id', 'envelope_hash']).execute();
  },
  async down(db) {
    await db.schema.dropIndex('messages_account_envelope').execute();
    await db.schema.dropIndex('messages_account_content').execute();
    await db.schema.createIndex('messages_envelope').on('messages').columns(['user_id', 'envelope_hash']).execute();
    await db.schema.createIndex('messages_content').on('messages').columns(['user_id', 'content_hash']).execute();
  },
};
