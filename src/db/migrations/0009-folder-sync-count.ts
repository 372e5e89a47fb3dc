import { columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/**
 * The server's message count at the end of the last sync of a folder. `message_count` is refreshed
 * by every folder listing, so it cannot tell the sync whether messages vanished since its last run.
 */
export const folderSyncCount: SchemaMigration = {
  name: '0009-folder-sync-count',
  async up(db, dialect) {
    await db.schema.alterTable('folders').addColumn('synced_count', columnTypes(dialect).integer).execute();
  },
  async down(db) {
    await db.schema.alterTable('folders').dropColumn('synced_count').execute();
  },
};
