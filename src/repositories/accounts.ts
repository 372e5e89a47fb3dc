import type { Selectable, Updateable } from 'kysely';
import type { AccountsTable, AccountState, Executor } from '../db/schema.js';

export type AccountRow = Selectable<AccountsTable>;

export interface NewAccountRow {
  id: string;
  name: Buffer;
  settings: Buffer;
  provider: string | null;
  syncIntervalMinutes: number;
  initialWindowDays: number;
  initialMaxPerFolder: number;
  capabilities: string | null;
}

export type AccountChanges = Pick<
  Updateable<AccountsTable>,
  'name' | 'settings' | 'provider' | 'sync_interval_minutes' | 'initial_window_days' | 'initial_max_per_folder' | 'capabilities'
>;

/** All SQL for `accounts`. User-facing reads are scoped by user id; `findAnyById` is for system work (pool, sync). */
export const accountsRepository = {
  async insert(ex: Executor, userId: string, a: NewAccountRow, now: number): Promise<void> {
    await ex
      .insertInto('accounts')
      .values({
        id: a.id,
        user_id: userId,
        name: a.name,
        settings: a.settings,
        provider: a.provider,
        state: 'idle',
        sync_interval_minutes: a.syncIntervalMinutes,
        initial_window_days: a.initialWindowDays,
        initial_max_per_folder: a.initialMaxPerFolder,
        capabilities: a.capabilities,
        created_at: now,
        updated_at: now,
      })
      .execute();
  },

  async find(ex: Executor, userId: string, id: string): Promise<AccountRow | undefined> {
    return ex.selectFrom('accounts').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  },

  async findAnyById(ex: Executor, id: string): Promise<AccountRow | undefined> {
    return ex.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async listForUser(ex: Executor, userId: string): Promise<AccountRow[]> {
    return ex.selectFrom('accounts').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
  },

  async update(ex: Executor, userId: string, id: string, changes: AccountChanges, now: number): Promise<void> {
    await ex
      .updateTable('accounts')
      .set({ ...changes, updated_at: now })
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .execute();
  },

  async setState(ex: Executor, userId: string, id: string, state: AccountState, now: number): Promise<void> {
    await ex.updateTable('accounts').set({ state, updated_at: now }).where('user_id', '=', userId).where('id', '=', id).execute();
  },

  /** Our own code and text only, never a server reply. */
  async setError(ex: Executor, id: string, code: string, message: string, at: number): Promise<void> {
    await ex.updateTable('accounts').set({ last_error_code: code, last_error_message: message, last_error_at: at }).where('id', '=', id).execute();
  },

  /** Recorded at every connection, by whoever connected (test, pool, sync). */
  async setCapabilities(ex: Executor, id: string, capabilities: string[]): Promise<void> {
    await ex.updateTable('accounts').set({ capabilities: capabilities.join(' ') }).where('id', '=', id).execute();
  },

  /** Plain metadata of every account, for `doctor` and health views (no sealed column). */
  async listStates(ex: Executor): Promise<Pick<AccountRow, 'id' | 'state' | 'capabilities'>[]> {
    return ex.selectFrom('accounts').select(['id', 'state', 'capabilities']).orderBy('created_at').orderBy('id').execute();
  },

  async delete(ex: Executor, userId: string, id: string): Promise<number> {
    const res = await ex.deleteFrom('accounts').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows);
  },
};
