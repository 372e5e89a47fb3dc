import type { Insertable, Selectable, Updateable } from 'kysely';
import type { AiProvidersTable, Executor } from '../db/schema.js';

/**
 * LLM providers (instance-wide, admin-managed), users' provider choice, daily token usage and the
 * LLM result cache. Everything of a user is scoped by user id.
 */
export type AiProviderRow = Selectable<AiProvidersTable>;

export const aiProvidersRepository = {
  list(ex: Executor): Promise<AiProviderRow[]> {
    return ex.selectFrom('ai_providers').selectAll().orderBy('name').execute();
  },
  find(ex: Executor, id: string): Promise<AiProviderRow | undefined> {
    return ex.selectFrom('ai_providers').selectAll().where('id', '=', id).executeTakeFirst();
  },
  async insert(ex: Executor, row: Insertable<AiProvidersTable>): Promise<void> {
    await ex.insertInto('ai_providers').values(row).execute();
  },
  async update(ex: Executor, id: string, patch: Updateable<AiProvidersTable>): Promise<boolean> {
    const res = await ex.updateTable('ai_providers').set(patch).where('id', '=', id).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },
  async remove(ex: Executor, id: string): Promise<boolean> {
    const res = await ex.deleteFrom('ai_providers').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  },
};

export const userAiSettingsRepository = {
  find(ex: Executor, userId: string) {
    return ex.selectFrom('user_ai_settings').select(['provider_id', 'model']).where('user_id', '=', userId).executeTakeFirst();
  },
  async set(ex: Executor, userId: string, providerId: string | null, model: string | null, now: number): Promise<void> {
    await ex
      .insertInto('user_ai_settings')
      .values({ user_id: userId, provider_id: providerId, model, updated_at: now })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ provider_id: providerId, model, updated_at: now }))
      .execute();
  },
};

export const llmUsageRepository = {
  /** Tokens (input + output) spent today by this user on this provider, and by everyone on it. */
  async today(ex: Executor, userId: string, providerId: string, day: string): Promise<{ user: number; provider: number }> {
    const rows = await ex
      .selectFrom('llm_usage')
      .select(['user_id', 'input_tokens', 'output_tokens'])
      .where('provider_id', '=', providerId)
      .where('day', '=', day)
      .execute();
    let user = 0;
    let provider = 0;
    for (const r of rows) {
      const n = Number(r.input_tokens) + Number(r.output_tokens);
      provider += n;
      if (r.user_id === userId) user += n;
    }
    return { user, provider };
  },
  async add(ex: Executor, userId: string, providerId: string, day: string, requests: number, input: number, output: number): Promise<void> {
    await ex
      .insertInto('llm_usage')
      .values({ user_id: userId, provider_id: providerId, day, requests, input_tokens: input, output_tokens: output })
      .onConflict((oc) =>
        oc.columns(['user_id', 'provider_id', 'day']).doUpdateSet((eb) => ({
          requests: eb('llm_usage.requests', '+', requests),
          input_tokens: eb('llm_usage.input_tokens', '+', input),
          output_tokens: eb('llm_usage.output_tokens', '+', output),
        })),
      )
      .execute();
  },
  /** Today's totals per provider, for the admin view. */
  byProvider(ex: Executor, day: string) {
    return ex
      .selectFrom('llm_usage')
      .select(['provider_id', (eb) => eb.fn.sum<number | string>('requests').as('requests'), (eb) => eb.fn.sum<number | string>('input_tokens').as('input'), (eb) => eb.fn.sum<number | string>('output_tokens').as('output')])
      .where('day', '=', day)
      .groupBy('provider_id')
      .execute();
  },
};

export const llmCacheRepository = {
  find(ex: Executor, userId: string, key: Buffer) {
    return ex.selectFrom('llm_cache').select(['id', 'result']).where('user_id', '=', userId).where('cache_key', '=', key).executeTakeFirst();
  },
  async put(ex: Executor, row: { id: string; user_id: string; cache_key: Buffer; result: Buffer; created_at: number }): Promise<void> {
    await ex.insertInto('llm_cache').values(row).onConflict((oc) => oc.columns(['user_id', 'cache_key']).doNothing()).execute();
  },
  async pruneBefore(ex: Executor, before: number): Promise<number> {
    const res = await ex.deleteFrom('llm_cache').where('created_at', '<', before).executeTakeFirst();
    return Number(res.numDeletedRows);
  },
};

/** Re-analysis: how many of the user's messages there are and how large (for the estimate), and the reset. */
export const reanalysisRepository = {
  async sizes(ex: Executor, userId: string): Promise<{ count: number; sizes: number[] }> {
    const rows = await ex.selectFrom('messages').select('size').where('user_id', '=', userId).where('copy_count', '>', 0).execute();
    return { count: rows.length, sizes: rows.map((r) => Number(r.size)) };
  },
  /** Puts every message back in the queue; the effective analysis stays visible until re-analysed. */
  async resetAll(ex: Executor, userId: string): Promise<number> {
    const res = await ex
      .updateTable('messages')
      .set({ analysis_status: 'pending', analysis_error: null })
      .where('user_id', '=', userId)
      .where('copy_count', '>', 0)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  },
};
