import { sql } from 'kysely';
import { checkIn, columnTypes } from '../columns.js';
import type { SchemaMigration } from './types.js';

/**
 * LLM providers (configured by an admin; the API key sealed with the instance key), each user's
 * choice of provider and model, daily token usage per user and provider (for the budgets), and a
 * cache of LLM results keyed by user + content hash + provider + model.
 */
export const llm: SchemaMigration = {
  name: '0014-llm',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('ai_providers')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('name', t.text, (c) => c.notNull().unique())
      .addColumn('type', t.text, (c) => c.notNull().check(checkIn('type', ['ollama', 'openai-compatible', 'anthropic'])))
      .addColumn('base_url', t.text, (c) => c.notNull())
      // Sealed with the instance key (context ai_provider.api_key.v1); null for servers without a key.
      .addColumn('api_key', t.blob)
      // JSON array of model names users may choose.
      .addColumn('models', t.text, (c) => c.notNull())
      // null: decided from the host (loopback → local, anything else → cloud); an admin may set local.
      .addColumn('locality', t.text, (c) => c.check(sql`locality is null or ${checkIn('locality', ['local', 'cloud'])}`))
      .addColumn('enabled', t.flag, (c) => c.notNull().defaultTo(1))
      .addColumn('timeout_ms', t.integer, (c) => c.notNull())
      .addColumn('concurrency', t.integer, (c) => c.notNull())
      .addColumn('daily_token_budget', t.bigint)
      .addColumn('user_daily_token_budget', t.bigint)
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('user_ai_settings')
      .addColumn('user_id', t.id, (c) => c.primaryKey().references('users.id').onDelete('cascade'))
      .addColumn('provider_id', t.id, (c) => c.references('ai_providers.id').onDelete('set null'))
      .addColumn('model', t.text)
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('llm_usage')
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('provider_id', t.id, (c) => c.notNull().references('ai_providers.id').onDelete('cascade'))
      // UTC day, YYYY-MM-DD.
      .addColumn('day', t.text, (c) => c.notNull())
      .addColumn('requests', t.integer, (c) => c.notNull().defaultTo(0))
      .addColumn('input_tokens', t.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn('output_tokens', t.bigint, (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('llm_usage_pk', ['user_id', 'provider_id', 'day'])
      .execute();
    await db.schema.createIndex('llm_usage_provider_day').on('llm_usage').columns(['provider_id', 'day']).execute();

    await db.schema
      .createTable('llm_cache')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      // The user's keyed hash of (prompt content, provider, model): equal inputs meet, content stays hidden.
      .addColumn('cache_key', t.blob, (c) => c.notNull())
      // Sealed JSON (llm.cache.result.v1): the validated model output.
      .addColumn('result', t.blob, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addUniqueConstraint('llm_cache_key', ['user_id', 'cache_key'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('llm_cache').execute();
    await db.schema.dropIndex('llm_usage_provider_day').execute();
    await db.schema.dropTable('llm_usage').execute();
    await db.schema.dropTable('user_ai_settings').execute();
    await db.schema.dropTable('ai_providers').execute();
  },
};
