import { checkIn, columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/**
 * The user's tags and their assignments, VIP senders and own domains (the analyser's per-user
 * signals), and a keyed-hash index of who wrote to whom, so the analyser can count earlier
 * correspondence without storing a plaintext address. Names, patterns and domains are sealed; each
 * has a keyed lookup hash beside it for uniqueness.
 */
export const tagsAndSenders: SchemaMigration = {
  name: '0012-tags-and-senders',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('tags')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', t.blob, (c) => c.notNull())
      .addColumn('name_hash', t.blob, (c) => c.notNull())
      .addColumn('colour', t.text, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('tags_user_name').on('tags').columns(['user_id', 'name_hash']).unique().execute();

    await db.schema
      .createTable('message_tags')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('message_id', t.id, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('tag_id', t.id, (c) => c.notNull().references('tags.id').onDelete('cascade'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addPrimaryKeyConstraint('message_tags_pk', ['message_id', 'tag_id'])
      .execute();
    await db.schema.createIndex('message_tags_tag').on('message_tags').columns(['user_id', 'tag_id', 'message_id']).execute();
    await db.schema.createIndex('message_tags_tag_id').on('message_tags').column('tag_id').execute();

    await db.schema
      .createTable('sender_rules')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('kind', t.text, (c) => c.notNull().check(checkIn('kind', ['vip', 'own_domain'])))
      .addColumn('value', t.blob, (c) => c.notNull())
      .addColumn('value_hash', t.blob, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sender_rules_user_value').on('sender_rules').columns(['user_id', 'kind', 'value_hash']).unique().execute();

    await db.schema
      .createTable('message_addresses')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('message_id', t.id, (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('role', t.text, (c) => c.notNull().check(checkIn('role', ['from', 'to', 'cc'])))
      .addColumn('address_hash', t.blob, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('message_addresses_lookup').on('message_addresses').columns(['user_id', 'address_hash', 'role']).execute();
    await db.schema.createIndex('message_addresses_message').on('message_addresses').column('message_id').execute();
    // Existing and new messages start unindexed; the analysis run indexes them before it rates any.
    await db.schema.alterTable('messages').addColumn('addresses_indexed', t.flag, (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.createIndex('messages_addresses_indexed').on('messages').columns(['user_id', 'addresses_indexed']).execute();

    // The tag ids a correction set on the message (JSON array of ids).
    await db.schema.alterTable('message_corrections').addColumn('tag_ids', t.text).execute();
  },
  async down(db) {
    await db.schema.alterTable('message_corrections').dropColumn('tag_ids').execute();
    await db.schema.dropIndex('messages_addresses_indexed').execute();
    await db.schema.alterTable('messages').dropColumn('addresses_indexed').execute();
    await db.schema.dropTable('message_addresses').execute();
    await db.schema.dropTable('sender_rules').execute();
    await db.schema.dropTable('message_tags').execute();
    await db.schema.dropTable('tags').execute();
  },
};
