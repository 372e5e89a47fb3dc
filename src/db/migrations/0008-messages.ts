import { columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/**
 * The mail store: a logical message with its server copies, the raw source and attachments in
 * sealed chunks, threads, and tombstones of removed copies (kept 7 days so a move re-attaches).
 * Everything a person wrote or that names a person is sealed; the plain columns are keyed hashes,
 * sizes, dates, flags and ids the sync loop and list queries need without opening rows.
 * Analysis, tags and corrections get their own columns/tables in later migrations.
 */
export const messages: SchemaMigration = {
  name: '0008-messages',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('threads')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      // Keyed HMAC (message.id.v1) of the Message-ID the thread grew from.
      .addColumn('root_hash', t.blob, (c) => c.notNull())
      // Keyed HMAC (thread.subject.v1) of the normalised subject, for the careful subject fallback.
      .addColumn('subject_hash', t.blob)
      .addColumn('last_date', t.time, (c) => c.notNull())
      .addColumn('message_count', t.integer, (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('threads_root').on('threads').columns(['user_id', 'root_hash']).execute();
    await db.schema.createIndex('threads_subject').on('threads').columns(['user_id', 'subject_hash', 'last_date']).execute();

    await db.schema
      .createTable('messages')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('account_id', t.id, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('thread_id', t.id, (c) => c.references('threads.id').onDelete('set null'))
      // The server's own stable id (EMAILID, X-GM-MSGID) where offered.
      .addColumn('email_id', t.text)
      .addColumn('message_id_hash', t.blob)
      .addColumn('content_hash', t.blob, (c) => c.notNull())
      .addColumn('envelope_hash', t.blob, (c) => c.notNull())
      .addColumn('date', t.time, (c) => c.notNull())
      .addColumn('size', t.bigint, (c) => c.notNull())
      .addColumn('has_attachments', t.flag, (c) => c.notNull())
      .addColumn('is_calendar', t.flag, (c) => c.notNull())
      .addColumn('is_newsletter', t.flag, (c) => c.notNull())
      // Sealed JSON (message.envelope.v1): subject, addresses, Message-ID, In-Reply-To, References, List-*.
      .addColumn('envelope', t.blob, (c) => c.notNull())
      .addColumn('body_text', t.blob)
      .addColumn('body_html', t.blob)
      .addColumn('snippet', t.blob)
      // Sealed JSON (message.calendar.v1): method and the iCalendar text.
      .addColumn('calendar', t.blob)
      // Space-separated parse warning codes (e.g. "BROKEN_BOUNDARY MISSING_DATE"); codes only, never content.
      .addColumn('parse_warnings', t.text)
      .addColumn('source_chunks', t.integer, (c) => c.notNull())
      .addColumn('copy_count', t.integer, (c) => c.notNull())
      .addColumn('is_seen', t.flag, (c) => c.notNull())
      .addColumn('is_flagged', t.flag, (c) => c.notNull())
      .addColumn('is_answered', t.flag, (c) => c.notNull())
      .addColumn('is_done', t.flag, (c) => c.notNull().defaultTo(0))
      .addColumn('done_at', t.time)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('messages_user_date').on('messages').columns(['user_id', 'date', 'id']).execute();
    await db.schema.createIndex('messages_account_date').on('messages').columns(['user_id', 'account_id', 'date', 'id']).execute();
    await db.schema.createIndex('messages_message_id').on('messages').columns(['user_id', 'message_id_hash']).execute();
    await db.schema.createIndex('messages_content').on('messages').columns(['user_id', 'content_hash']).execute();
    await db.schema.createIndex('messages_envelope').on('messages').columns(['user_id', 'envelope_hash']).execute();
    await db.schema.createIndex('messages_email_id').on('messages').columns(['user_id', 'account_id', 'email_id']).execute();
    await db.schema.createIndex('messages_thread').on('messages').columns(['user_id', 'thread_id', 'date']).execute();

    await db.schema
      .createTable('message_copies')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('message_id', t.id, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('account_id', t.id, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('folder_id', t.id, (c) => c.notNull().references('folders.id').onDelete('cascade'))
      .addColumn('uidvalidity', t.bigint, (c) => c.notNull())
      .addColumn('uid', t.bigint, (c) => c.notNull())
      // Space-separated IMAP flags and keywords, sorted.
      .addColumn('flags', t.text, (c) => c.notNull())
      .addColumn('modseq', t.bigint)
      .addColumn('internal_date', t.time)
      .addColumn('size', t.bigint, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('message_copies_uid').unique().on('message_copies').columns(['user_id', 'folder_id', 'uidvalidity', 'uid']).execute();
    await db.schema.createIndex('message_copies_message').on('message_copies').columns(['user_id', 'message_id']).execute();

    // Chunk tables use (user_id, parent, seq) as their key: no row id is needed and every lookup is by parent.
    await db.schema
      .createTable('message_chunks')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('message_id', t.id, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('seq', t.integer, (c) => c.notNull())
      .addColumn('data', t.blob, (c) => c.notNull())
      .addPrimaryKeyConstraint('message_chunks_pk', ['user_id', 'message_id', 'seq'])
      .execute();

    await db.schema
      .createTable('attachments')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('message_id', t.id, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('index', t.integer, (c) => c.notNull())
      .addColumn('filename', t.blob)
      .addColumn('content_type', t.text, (c) => c.notNull())
      .addColumn('disposition', t.text)
      .addColumn('content_id', t.blob)
      .addColumn('size', t.bigint, (c) => c.notNull())
      .addColumn('is_inline', t.flag, (c) => c.notNull())
      .addColumn('chunks', t.integer, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('attachments_message').unique().on('attachments').columns(['user_id', 'message_id', 'index']).execute();

    await db.schema
      .createTable('attachment_chunks')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('attachment_id', t.id, (c) => c.notNull().references('attachments.id').onDelete('cascade'))
      .addColumn('seq', t.integer, (c) => c.notNull())
      .addColumn('data', t.blob, (c) => c.notNull())
      .addPrimaryKeyConstraint('attachment_chunks_pk', ['user_id', 'attachment_id', 'seq'])
      .execute();

    await db.schema
      .createTable('copy_tombstones')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('message_id', t.id, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('account_id', t.id, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      // The folder the copy was in; no foreign key, the folder may be gone by now.
      .addColumn('folder_id', t.id, (c) => c.notNull())
      .addColumn('envelope_hash', t.blob, (c) => c.notNull())
      .addColumn('message_id_hash', t.blob)
      .addColumn('content_hash', t.blob, (c) => c.notNull())
      .addColumn('removed_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('copy_tombstones_message').on('copy_tombstones').columns(['user_id', 'message_id']).execute();
    await db.schema.createIndex('copy_tombstones_removed').on('copy_tombstones').columns(['user_id', 'removed_at']).execute();
  },
  async down(db) {
    for (const table of ['copy_tombstones', 'attachment_chunks', 'attachments', 'message_chunks', 'message_copies', 'messages', 'threads']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
