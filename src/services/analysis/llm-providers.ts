import type { Kysely } from 'kysely';
import { PROVIDER_TYPES, type ProviderConnection, type ProviderType } from '../../ai/llm/client.js';
import { providerLocality } from '../../ai/llm/locality.js';
import type { Locality } from '../../ai/llm/privacy-gate.js';
import type { InstanceSealer } from '../../crypto/instance-secrets.js';
import type { Database } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import { AppError, NotFoundError } from '../../errors.js';
import { aiProvidersRepository, llmUsageRepository, userAiSettingsRepository, type AiProviderRow } from '../../repositories/ai.js';

export const API_KEY_CONTEXT = 'ai_provider.api_key.v1';

export interface ProviderInput {
  name: string;
  type: ProviderType;
  baseUrl: string;
  /** A new key; null removes it; absent keeps the stored one (update). */
  apiKey?: string | null;
  models: string[];
  /** null: decided from the host. */
  locality?: Locality | null;
  enabled?: boolean;
  timeoutMs?: number;
  concurrency?: number;
  dailyTokenBudget?: number | null;
  userDailyTokenBudget?: number | null;
}

/** What an admin sees of a provider: never the key, only whether there is one. */
export interface ProviderView {
  id: string;
  name: string;
  type: ProviderType;
  baseUrl: string;
  models: string[];
  /** Effective: what the privacy gate uses. */
  locality: Locality;
  /** What the admin set (null: from the host). */
  localityOverride: Locality | null;
  enabled: boolean;
  timeoutMs: number;
  concurrency: number;
  dailyTokenBudget: number | null;
  userDailyTokenBudget: number | null;
  hasApiKey: boolean;
  usageToday: { requests: number; inputTokens: number; outputTokens: number };
}

/** What a user may choose from. */
export interface ProviderChoice {
  id: string;
  name: string;
  type: ProviderType;
  models: string[];
  locality: Locality;
}

/** A provider ready for a call: connection (with the opened key), locality, models and budgets. */
export interface ResolvedProvider {
  connection: ProviderConnection;
  locality: Locality;
  models: string[];
  dailyTokenBudget: number | null;
  userDailyTokenBudget: number | null;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_CONCURRENCY = 2;

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class ProviderInvalidError extends AppError {
  constructor(message: string) {
    super('AI_PROVIDER_INVALID', message, 400);
  }
}

function checkInput(input: Pick<ProviderInput, 'type' | 'baseUrl' | 'models'>, hasKey: boolean): void {
  if (!PROVIDER_TYPES.includes(input.type)) throw new ProviderInvalidError('unknown provider type');
  let url: URL;
  try {
    url = new URL(input.baseUrl);
  } catch {
    throw new ProviderInvalidError('the base URL is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ProviderInvalidError('the base URL must be http or https');
  if (url.username || url.password) throw new ProviderInvalidError('put the API key in the key field, not in the URL');
  if (input.models.length === 0) throw new ProviderInvalidError('list at least one model');
  if (input.type === 'anthropic' && !hasKey) throw new ProviderInvalidError('Anthropic needs an API key');
}

function parseModels(json: string): string[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((m): m is string => typeof m === 'string') : [];
  } catch {
    return [];
  }
}

const localityOf = (row: AiProviderRow) => providerLocality(row.base_url, row.locality);

/** Admin management of LLM providers, and each user's choice among them. */
export function createAiProvidersService(deps: { db: Kysely<Database>; sealer: InstanceSealer; now: () => number }) {
  const { db } = deps;

  async function view(row: AiProviderRow, usage?: Map<string, { requests: number; input: number; output: number }>): Promise<ProviderView> {
    const u = usage?.get(row.id);
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      baseUrl: row.base_url,
      models: parseModels(row.models),
      locality: localityOf(row),
      localityOverride: row.locality,
      enabled: row.enabled === 1,
      timeoutMs: row.timeout_ms,
      concurrency: row.concurrency,
      dailyTokenBudget: row.daily_token_budget === null ? null : Number(row.daily_token_budget),
      userDailyTokenBudget: row.user_daily_token_budget === null ? null : Number(row.user_daily_token_budget),
      hasApiKey: row.api_key !== null,
      usageToday: { requests: u?.requests ?? 0, inputTokens: u?.input ?? 0, outputTokens: u?.output ?? 0 },
    };
  }

  async function usageToday() {
    const rows = await llmUsageRepository.byProvider(db, utcDay(deps.now()));
    return new Map(rows.map((r) => [r.provider_id, { requests: Number(r.requests), input: Number(r.input), output: Number(r.output) }]));
  }

  async function get(id: string): Promise<ProviderView> {
    const row = await aiProvidersRepository.find(db, id);
    if (!row) throw new NotFoundError('Provider');
    return view(row, await usageToday());
  }

  async function nameTaken(name: string, exceptId?: string): Promise<boolean> {
    return (await aiProvidersRepository.list(db)).some((p) => p.name.toLowerCase() === name.toLowerCase() && p.id !== exceptId);
  }

  return {
    async list(): Promise<ProviderView[]> {
      const usage = await usageToday();
      return Promise.all((await aiProvidersRepository.list(db)).map((r) => view(r, usage)));
    },

    get,

    async create(input: ProviderInput): Promise<ProviderView> {
      checkInput(input, Boolean(input.apiKey));
      if (await nameTaken(input.name)) throw new AppError('AI_PROVIDER_EXISTS', 'a provider with this name exists', 409);
      const id = newId();
      const now = deps.now();
      await aiProvidersRepository.insert(db, {
        id,
        name: input.name,
        type: input.type,
        base_url: input.baseUrl,
        api_key: input.apiKey ? await deps.sealer.sealText(API_KEY_CONTEXT, id, input.apiKey) : null,
        models: JSON.stringify([...new Set(input.models)]),
        locality: input.locality ?? null,
        enabled: input.enabled === false ? 0 : 1,
        timeout_ms: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        concurrency: input.concurrency ?? DEFAULT_CONCURRENCY,
        daily_token_budget: input.dailyTokenBudget ?? null,
        user_daily_token_budget: input.userDailyTokenBudget ?? null,
        created_at: now,
        updated_at: now,
      });
      return get(id);
    },

    async update(id: string, patch: Partial<ProviderInput>): Promise<ProviderView> {
      const row = await aiProvidersRepository.find(db, id);
      if (!row) throw new NotFoundError('Provider');
      const merged = { type: patch.type ?? row.type, baseUrl: patch.baseUrl ?? row.base_url, models: patch.models ?? parseModels(row.models) };
      checkInput(merged, patch.apiKey === undefined ? row.api_key !== null : Boolean(patch.apiKey));
      if (patch.name !== undefined && (await nameTaken(patch.name, id))) throw new AppError('AI_PROVIDER_EXISTS', 'a provider with this name exists', 409);
      await aiProvidersRepository.update(db, id, {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        type: merged.type,
        base_url: merged.baseUrl,
        models: JSON.stringify([...new Set(merged.models)]),
        ...(patch.apiKey !== undefined ? { api_key: patch.apiKey ? await deps.sealer.sealText(API_KEY_CONTEXT, id, patch.apiKey) : null } : {}),
        ...(patch.locality !== undefined ? { locality: patch.locality } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
        ...(patch.timeoutMs !== undefined ? { timeout_ms: patch.timeoutMs } : {}),
        ...(patch.concurrency !== undefined ? { concurrency: patch.concurrency } : {}),
        ...(patch.dailyTokenBudget !== undefined ? { daily_token_budget: patch.dailyTokenBudget } : {}),
        ...(patch.userDailyTokenBudget !== undefined ? { user_daily_token_budget: patch.userDailyTokenBudget } : {}),
        updated_at: deps.now(),
      });
      return get(id);
    },

    async remove(id: string): Promise<void> {
      if (!(await aiProvidersRepository.remove(db, id))) throw new NotFoundError('Provider');
    },

    /** A provider with its key opened, for a call; null when it is gone or disabled. */
    async resolve(id: string): Promise<ResolvedProvider | null> {
      const row = await aiProvidersRepository.find(db, id);
      if (!row || row.enabled !== 1) return null;
      return {
        connection: {
          id: row.id,
          name: row.name,
          type: row.type,
          baseUrl: row.base_url,
          apiKey: row.api_key ? await deps.sealer.openText(API_KEY_CONTEXT, row.id, row.api_key) : null,
          timeoutMs: row.timeout_ms,
          concurrency: row.concurrency,
        },
        locality: localityOf(row),
        models: parseModels(row.models),
        dailyTokenBudget: row.daily_token_budget === null ? null : Number(row.daily_token_budget),
        userDailyTokenBudget: row.user_daily_token_budget === null ? null : Number(row.user_daily_token_budget),
      };
    },

    /** Enabled providers, as a user may choose them (no URLs, no keys). */
    async choices(): Promise<ProviderChoice[]> {
      return (await aiProvidersRepository.list(db))
        .filter((r) => r.enabled === 1)
        .map((r) => ({ id: r.id, name: r.name, type: r.type, models: parseModels(r.models), locality: localityOf(r) }));
    },

    /** The user's choice (provider and model) and what they may choose from. */
    async settingsOf(userId: string): Promise<{ providerId: string | null; model: string | null; providers: ProviderChoice[] }> {
      const s = await userAiSettingsRepository.find(db, userId);
      const providers = await this.choices();
      const chosen = providers.find((p) => p.id === s?.provider_id);
      return { providerId: chosen ? chosen.id : null, model: chosen ? (s?.model ?? null) : null, providers };
    },

    /** Sets (or clears, with null) the user's provider and model; the model must be one the admin listed. */
    async choose(userId: string, providerId: string | null, model: string | null) {
      if (providerId === null) {
        await userAiSettingsRepository.set(db, userId, null, null, deps.now());
        return this.settingsOf(userId);
      }
      const provider = (await this.choices()).find((p) => p.id === providerId);
      if (!provider) throw new NotFoundError('Provider');
      const m = model ?? provider.models[0]!;
      if (!provider.models.includes(m)) throw new AppError('AI_MODEL_UNKNOWN', 'this provider does not offer that model', 400);
      await userAiSettingsRepository.set(db, userId, providerId, m, deps.now());
      return this.settingsOf(userId);
    },
  };
}

export type AiProvidersService = ReturnType<typeof createAiProvidersService>;
