import type { ApiTokensTable, Executor, InvitationsTable, RecoveryCodesTable } from '../db/schema.js';

/** Personal API tokens: every query is scoped by the owner, except the look-up by secret hash. */
export const apiTokensRepository = {
  async insert(ex: Executor, row: ApiTokensTable): Promise<void> {
    await ex.insertInto('api_tokens').values(row).execute();
  },
  async findByHash(ex: Executor, tokenHash: string): Promise<ApiTokensTable | undefined> {
    return ex.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  },
  async list(ex: Executor, userId: string): Promise<ApiTokensTable[]> {
    return ex.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  },
  async delete(ex: Executor, userId: string, id: string): Promise<boolean> {
    const r = await ex.deleteFrom('api_tokens').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  },
  async touch(ex: Executor, userId: string, id: string, at: number): Promise<void> {
    await ex.updateTable('api_tokens').set({ last_used_at: at }).where('user_id', '=', userId).where('id', '=', id).execute();
  },
};

export const recoveryCodesRepository = {
  async replaceAll(ex: Executor, userId: string, rows: RecoveryCodesTable[]): Promise<void> {
    await ex.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    if (rows.length) await ex.insertInto('recovery_codes').values(rows).execute();
  },
  /** Marks an unused code as used; false when there is no such unused code (so each works once). */
  async consume(ex: Executor, userId: string, codeHash: string, at: number): Promise<boolean> {
    const r = await ex
      .updateTable('recovery_codes')
      .set({ used_at: at })
      .where('user_id', '=', userId)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
  async countUnused(ex: Executor, userId: string): Promise<number> {
    const row = await ex
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
  async deleteAll(ex: Executor, userId: string): Promise<void> {
    await ex.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  },
};

/** Invitations are instance data managed by admins (the service checks the role). */
export const invitationsRepository = {
  async insert(ex: Executor, row: InvitationsTable): Promise<void> {
    await ex.insertInto('invitations').values(row).execute();
  },
  async findByHash(ex: Executor, tokenHash: string): Promise<InvitationsTable | undefined> {
    return ex.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  },
  async list(ex: Executor): Promise<InvitationsTable[]> {
    return ex.selectFrom('invitations').selectAll().orderBy('created_at', 'desc').execute();
  },
  async delete(ex: Executor, id: string): Promise<boolean> {
    const r = await ex.deleteFrom('invitations').where('id', '=', id).where('accepted_at', 'is', null).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  },
  /** Claims an open, unexpired invitation; false if someone else used it first. */
  async claim(ex: Executor, id: string, at: number): Promise<boolean> {
    const r = await ex
      .updateTable('invitations')
      .set({ accepted_at: at })
      .where('id', '=', id)
      .where('accepted_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
  async setAcceptedUser(ex: Executor, id: string, userId: string): Promise<void> {
    await ex.updateTable('invitations').set({ accepted_user_id: userId }).where('id', '=', id).execute();
  },
  async release(ex: Executor, id: string): Promise<void> {
    await ex.updateTable('invitations').set({ accepted_at: null }).where('id', '=', id).execute();
  },
};
