import { columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/**
 * Attachments stored once: an attachment can be a run of the message's own source chunks (the
 * source is split at the attachment's encoded body, so the body is its own chunk sequence) that is
 * decoded on download, instead of a second, decoded copy in `attachment_chunks`.
 * `source_seq` is the first source chunk of the body (null: the bytes are in `attachment_chunks`),
 * `encoding` how to decode it ('base64').
 */
export const attachmentSourceRanges: SchemaMigration = {
  name: '0015-attachment-source-ranges',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema.alterTable('attachments').addColumn('source_seq', t.integer).execute();
    await db.schema.alterTable('attachments').addColumn('encoding', t.text).execute();
  },
  async down(db) {
    await db.schema.alterTable('attachments').dropColumn('encoding').execute();
    await db.schema.alterTable('attachments').dropColumn('source_seq').execute();
  },
};
