import type { SchemaMigration } from './types.js';

/**
 * The analysis job asks for an account's pending messages, and for those whose addresses are not
 * indexed yet, in id order. SQLite (without statistics) chose `messages_account_envelope` (user_id,
 * account_id) for both and read every message of the account per batch, so each run took longer as
 * the mailbox grew (bench:latency). These indexes match the whole queries: the account, the state,
 * then id order.
 */
export const analysisIndexes: SchemaMigration = {
  name: '0017-analysis-indexes',
  async up(db) {
    await db.schema.createIndex('messages_account_analysis').on('messages').columns(['user_id', 'account_id', 'analysis_status', 'id']).execute();
    await db.schema.createIndex('messages_account_unindexed').on('messages').columns(['user_id', 'account_id', 'addresses_indexed', 'id']).execute();
  },
  async down(db) {
    await db.schema.dropIndex('messages_account_unindexed').execute();
    await db.schema.dropIndex('messages_account_analysis').execute();
  },
};
