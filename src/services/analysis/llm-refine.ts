import type { Kysely } from 'kysely';
import { colourOf, scoreOf } from '../../ai/builtin/index.js';
import { LlmCallError, requestAnalysis, type CallOptions } from '../../ai/llm/client.js';
import type { LlmOutput } from '../../ai/llm/output.js';
import { AnonymiseResidueError, privacyGate, restorePlaceholders } from '../../ai/llm/privacy-gate.js';
import { buildPrompt, estimateTokens } from '../../ai/llm/prompt.js';
import type { AnalysisInput, AnalysisResult, Level, MailAddress } from '../../ai/types.js';
import type { UserCipher } from '../../crypto/crypto.js';
import type { Database } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import { llmMetrics } from '../../observability/llm-metrics.js';
import { llmCacheRepository, llmUsageRepository, userAiSettingsRepository } from '../../repositories/ai.js';
import { utcDay, type AiProvidersService, type ResolvedProvider } from './llm-providers.js';

export const LLM_CACHE_CONTEXT = 'llm.cache.result.v1';
const CACHE_PURPOSE = 'llm.cache.key.v1';
/** Tokens reserved for the answer when checking a budget before a call. */
const ANSWER_TOKENS = 300;

/**
 * What the LLM stage made of one message:
 * - `result`: the model's rating, to be stored as the effective analysis (under the user's corrections);
 * - `failed`: this message cannot be rated by the model (invalid answers, residue after anonymising,
 *   a rejected request): the built-in result stays, the status is `failed` with the code;
 * - `deferred`: not now (provider down, slow or rate limiting; budget spent): the built-in result
 *   stays, the message stays `pending` with the code. `retry`: the job should run again soon
 *   (a transient provider problem); otherwise it waits for the next run (budget).
 */
export type Refinement =
  | { kind: 'result'; result: AnalysisResult }
  | { kind: 'failed'; code: string }
  | { kind: 'deferred'; code: string; retry: boolean };

export interface RefineContext {
  userId: string;
  messageId: string;
  input: AnalysisInput;
  builtin: AnalysisResult;
  /** Earlier messages of the thread, plain text, oldest first. */
  thread: string[];
  /** Senders and recipients of those messages: the privacy gate replaces their names as well. */
  threadPeople?: MailAddress[];
}

export type RefineFn = (ctx: RefineContext) => Promise<Refinement>;

export interface LlmRefinerDeps {
  db: Kysely<Database>;
  crypto: { forUser(userId: string): Promise<UserCipher> };
  providers: Pick<AiProvidersService, 'resolve'>;
  now: () => number;
  call?: Omit<CallOptions, 'signal'>;
}

/** The model's answer laid over the built-in result: levels, category, summary and tags from the model. */
export function llmResult(builtin: AnalysisResult, out: LlmOutput, source: `llm:${string}`): AnalysisResult {
  const urgency = out.urgency as Level;
  const importance = out.importance as Level;
  const score = scoreOf(urgency, importance);
  return {
    ...builtin,
    urgency,
    importance,
    score,
    colour: colourOf(score),
    category: out.category,
    isSpam: out.category === 'spam',
    isNewsletter: out.category === 'newsletter' || (builtin.isNewsletter && out.category !== 'spam'),
    summary: out.summary,
    suggestedTags: out.tags,
    confidence: Math.max(builtin.confidence, 0.8),
    source,
  };
}

/**
 * Builds the LLM stage for a user, or null when the user has chosen no provider (or it is gone or
 * disabled). Each message goes: privacy gate (anonymised for cloud providers; residue blocks the
 * call) → cache (user + content hash + provider + model) → daily budgets (user and provider) →
 * the call (timeout, concurrency, 429 back-off, one retry of an invalid answer) → usage and cache.
 */
export function createLlmRefiner(deps: LlmRefinerDeps) {
  /** With `cacheOnly`, a cache miss answers `deferred` (LLM_NOT_CACHED) without budget or call (used by corrections). */
  return async function forUser(userId: string, signal?: AbortSignal, options: { cacheOnly?: boolean } = {}): Promise<RefineFn | null> {
    const choice = await userAiSettingsRepository.find(deps.db, userId);
    if (!choice?.provider_id || !choice.model) return null;
    const provider = await deps.providers.resolve(choice.provider_id);
    if (!provider || !provider.models.includes(choice.model)) return null;
    const model = choice.model;
    const cipher = await deps.crypto.forUser(userId);
    const name = provider.connection.name;
    const source = `llm:${name}/${model}` as const;

    return async (ctx) => {
      const { input, builtin } = ctx;
      let gated;
      try {
        gated = privacyGate({ subject: input.subject, body: input.text, thread: ctx.thread, people: [input.from, ...input.to, ...input.cc, ...(ctx.threadPeople ?? [])] }, provider.locality);
      } catch (err) {
        if (err instanceof AnonymiseResidueError) {
          llmMetrics.request(name, 'blocked');
          return { kind: 'failed', code: err.code };
        }
        throw err;
      }
      const prompt = buildPrompt(gated, { language: builtin.language, date: input.date, hasAttachments: input.hasAttachments });
      const restore = (out: LlmOutput): LlmOutput =>
        gated.anonymised ? { ...out, summary: restorePlaceholders(out.summary, gated.mapping), tags: out.tags.map((t) => restorePlaceholders(t, gated.mapping)) } : out;

      const cacheKey = cipher.lookupHash(CACHE_PURPOSE, [provider.connection.id, '\0', model, '\0', prompt.system, '\0', prompt.prompt]);
      const hit = await llmCacheRepository.find(deps.db, userId, cacheKey);
      if (hit) {
        llmMetrics.request(name, 'cached');
        return { kind: 'result', result: llmResult(builtin, restore(JSON.parse(cipher.openText(LLM_CACHE_CONTEXT, hit.id, hit.result)) as LlmOutput), source) };
      }
      if (options.cacheOnly) return { kind: 'deferred', code: 'LLM_NOT_CACHED', retry: false };

      if (await overBudget(provider, userId, estimateTokens(prompt.system.length + prompt.prompt.length) + ANSWER_TOKENS)) {
        llmMetrics.request(name, 'budget');
        return { kind: 'deferred', code: 'LLM_BUDGET_EXCEEDED', retry: false };
      }

      const day = utcDay(deps.now());
      try {
        const res = await requestAnalysis(provider.connection, model, prompt, builtin.language, { ...deps.call, signal });
        await llmUsageRepository.add(deps.db, userId, provider.connection.id, day, res.requests, res.usage.input, res.usage.output);
        const id = newId();
        // Cached as the model answered (with placeholders for a cloud provider), restored when used.
        await llmCacheRepository.put(deps.db, { id, user_id: userId, cache_key: cacheKey, result: cipher.sealText(LLM_CACHE_CONTEXT, id, JSON.stringify(res.output)), created_at: deps.now() });
        return { kind: 'result', result: llmResult(builtin, restore(res.output), source) };
      } catch (err) {
        if (!(err instanceof LlmCallError)) throw err;
        if (err.usage.requests > 0) await llmUsageRepository.add(deps.db, userId, provider.connection.id, day, err.usage.requests, err.usage.input, err.usage.output);
        return err.retryLater ? { kind: 'deferred', code: err.code, retry: true } : { kind: 'failed', code: err.code };
      }
    };
  };

  async function overBudget(provider: ResolvedProvider, userId: string, estimate: number): Promise<boolean> {
    if (provider.dailyTokenBudget === null && provider.userDailyTokenBudget === null) return false;
    const used = await llmUsageRepository.today(deps.db, userId, provider.connection.id, utcDay(deps.now()));
    if (provider.dailyTokenBudget !== null && used.provider + estimate > provider.dailyTokenBudget) return true;
    return provider.userDailyTokenBudget !== null && used.user + estimate > provider.userDailyTokenBudget;
  }
}

export type LlmRefiner = ReturnType<typeof createLlmRefiner>;
