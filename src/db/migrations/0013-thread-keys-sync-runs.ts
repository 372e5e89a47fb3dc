import { sql } from 'kysely';
import { columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/**
 * Threads across syncs and the per-run sync record.
 *
 * `thread_keys`: every keyed hash that ties a message to its thread — its own Message-ID and the
 * ids it refers to (`ref`), and its participants' addresses (`addr`, for the careful subject
 * fallback) — with the first and last date seen. A message arriving in a later run, another folder
 * or before its parent finds its thread here; when one message links two threads they merge.
 * Existing threads are seeded with their messages' Message-ID hashes and their root hash (the
 * references inside the sealed envelopes cannot be read without the user's key).
 *
 * `sync_runs`: the last few sync runs of an account, per folder the strategy, counts, duration and
 * error code (folders by id; their sealed paths stay in `folders`).
 */
export const threadKeysSyncRuns: SchemaMigration = {
  name: '0013-thread-keys-sync-runs',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('thread_keys')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('thread_id', t.id, (c) => c.notNull().references('threads.id').onDelete('cascade'))
      // 'ref' (keyed HMAC message.id.v1) or 'addr' (keyed HMAC thread.participant.v1).
      .addColumn('kind', t.text, (c) => c.notNull())
      .addColumn('key_hash', t.blob, (c) => c.notNull())
      .addColumn('first_date', t.time, (c) => c.notNull())
      .addColumn('last_date', t.time, (c) => c.notNull())
      .addPrimaryKeyConstraint('thread_keys_pk', ['thread_id', 'kind', 'key_hash'])
      .execute();
    await db.schema.createIndex('thread_keys_lookup').on('thread_keys').columns(['user_id', 'kind', 'key_hash']).execute();
    await sql`
      insert into thread_keys (user_id, thread_id, kind, key_hash, first_date, last_date)
      select user_id, thread_id, 'ref', message_id_hash, min(date), max(date) from messages
      where thread_id is not null and message_id_hash is not null
      group by user_id, thread_id, message_id_hash`.execute(db);
    await sql`
      insert into thread_keys (user_id, thread_id, kind, key_hash, first_date, last_date)
      select user_id, id, 'ref', root_hash, last_date, last_date from threads
      where true
      on conflict do nothing`.execute(db);

    await db.schema
      .createTable('sync_runs')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('account_id', t.id, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('started_at', t.time, (c) => c.notNull())
      .addColumn('finished_at', t.time, (c) => c.notNull())
      // 'ok' | 'partial' (some folders failed) | 'failed'.
      .addColumn('outcome', t.text, (c) => c.notNull())
      .addColumn('error_code', t.text)
      // JSON: [{ folderId, strategy, new, changed, deleted, durationMs, error }] — ids, codes and figures only.
      .addColumn('folders', t.text, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sync_runs_account').on('sync_runs').columns(['user_id', 'account_id', 'started_at']).execute();
  },
  async down(db) {
    await db.schema.dropTable('sync_runs').execute();
    await db.schema.dropTable('thread_keys').execute();
  },
};
