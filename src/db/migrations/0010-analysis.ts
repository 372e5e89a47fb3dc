import { checkIn, columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/**
 * The effective analysis on the message row (user over LLM over built-in), indexed for the 3×3
 * dashboard, and the user's corrections as the source of truth for learning. Levels, score, colour,
 * category and status are plain so counts run in SQL; summary, reasons and tags are sealed.
 */
export const analysis: SchemaMigration = {
  name: '0010-analysis',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    const add = [
      ['urgency', t.integer],
      ['importance', t.integer],
      ['score', t.integer],
      ['colour', t.text],
      ['category', t.text],
      ['is_spam', t.flag],
      ['confidence', t.real],
      ['analysis_source', t.text],
      ['analysis_error', t.text],
      ['analysed_at', t.time],
      ['analysis_summary', t.blob],
      ['analysis_reasons', t.blob],
      ['analysis_tags', t.blob],
    ] as const;
    for (const [name, type] of add) await db.schema.alterTable('messages').addColumn(name, type).execute();
    // Existing rows start pending too, so the first analysis run picks them up.
    await db.schema
      .alterTable('messages')
      .addColumn('analysis_status', t.text, (c) => c.notNull().defaultTo('pending').check(checkIn('analysis_status', ['pending', 'done', 'failed'])))
      .execute();
    await db.schema.createIndex('messages_analysis_status').on('messages').columns(['user_id', 'analysis_status']).execute();
    await db.schema.createIndex('messages_cell').on('messages').columns(['user_id', 'urgency', 'importance']).execute();

    await db.schema
      .createTable('message_corrections')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('message_id', t.id, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('urgency', t.integer)
      .addColumn('importance', t.integer)
      .addColumn('category', t.text)
      .addColumn('is_spam', t.flag)
      // What the analyser said before the correction, so a learner can compare.
      .addColumn('previous_source', t.text)
      // Sealed JSON (message.correction.example.v1): the learner's hashed features of the message.
      .addColumn('example', t.blob)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('message_corrections_message').on('message_corrections').columns(['user_id', 'message_id', 'created_at']).execute();
  },
  async down(db) {
    await db.schema.dropTable('message_corrections').execute();
    await db.schema.dropIndex('messages_cell').execute();
    await db.schema.dropIndex('messages_analysis_status').execute();
    for (const name of [
      'analysis_status', 'analysis_tags', 'analysis_reasons', 'analysis_summary', 'analysed_at', 'analysis_error', 'analysis_source',
      'confidence', 'is_spam', 'category', 'colour', 'score', 'importance', 'urgency',
    ]) await db.schema.alterTable('messages').dropColumn(name).execute();
  },
};
