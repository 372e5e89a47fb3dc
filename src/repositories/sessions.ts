import type { Executor, SessionsTable } from '../db/schema.js';

export type SessionRow = SessionsTable;

export const sessionsRepository = {
  async insert(ex: Executor, row: SessionRow): Promise<void> {
    await ex.insertInto('sessions').values(row).execute();
  },

  async findByHash(ex: Executor, idHash: string): Promise<SessionRow | undefined> {
    return ex.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  },

  async touch(ex: Executor, idHash: string, now: number): Promise<void> {
    await ex.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
  },

  async setStepUp(ex: Executor, idHash: string, userId: string, at: number): Promise<void> {
    await ex.updateTable('sessions').set({ step_up_at: at }).where('id_hash', '=', idHash).where('user_id', '=', userId).execute();
  },

  async delete(ex: Executor, idHash: string): Promise<void> {
    await ex.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  },

  /** Ends every session of a user, optionally keeping one (the one that made the change). */
  async deleteForUser(ex: Executor, userId: string, keepIdHash?: string): Promise<number> {
    let q = ex.deleteFrom('sessions').where('user_id', '=', userId);
    if (keepIdHash) q = q.where('id_hash', '!=', keepIdHash);
    const result = await q.executeTakeFirst();
    return Number(result.numDeletedRows);
  },

  async countForUser(ex: Executor, userId: string): Promise<number> {
    const row = await ex
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  async purgeExpired(ex: Executor, now: number, idleMs: number): Promise<number> {
    const result = await ex
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - idleMs)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  },
};
