import type { Executor } from '../db/schema.js';

/** Instance-wide settings (not user data): setup state, canaries. */
export const settingsRepository = {
  async get(ex: Executor, key: string): Promise<string | undefined> {
    const row = await ex.selectFrom('app_settings').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value;
  },

  async set(ex: Executor, key: string, value: string, now: number): Promise<void> {
    await ex
      .insertInto('app_settings')
      .values({ key, value, updated_at: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
      .execute();
  },

  /** Inserts only if absent; false when the key already existed (used as a once-only marker). */
  async insertOnce(ex: Executor, key: string, value: string, now: number): Promise<boolean> {
    const result = await ex
      .insertInto('app_settings')
      .values({ key, value, updated_at: now })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  async delete(ex: Executor, key: string): Promise<void> {
    await ex.deleteFrom('app_settings').where('key', '=', key).execute();
  },
};
