import type { Kysely } from 'kysely';
import { MAX_BODY_CHARS, PROMPT_OVERHEAD_TOKENS, estimateTokens } from '../../ai/llm/prompt.js';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { queueAnalysisRuns } from '../../jobs/handlers/analysis-run.js';
import type { JobQueue } from '../../jobs/types.js';
import { reanalysisRepository } from '../../repositories/ai.js';
import type { AiProvidersService } from './llm-providers.js';

/** Headers and quoting around the body in a prompt, in characters. */
const HEADER_CHARS = 600;

export interface ReanalyseEstimate {
  messages: number;
  /** Rough input + output tokens for all of them with the chosen provider; 0 without one (built-in only). */
  estimatedTokens: number;
  provider: { id: string; name: string; model: string; locality: string } | null;
}

/**
 * "Re-analyse everything": first an estimate (message count and tokens), then — only with that
 * count confirmed — every message of the user goes back to pending and each account's analysis job
 * is queued. The current analysis stays visible until the new one is written.
 */
export function createReanalysis(deps: { db: Kysely<Database>; providers: Pick<AiProvidersService, 'settingsOf'>; queue?: Pick<JobQueue, 'enqueue'> }) {
  async function estimate(userId: string): Promise<ReanalyseEstimate> {
    const { count, sizes } = await reanalysisRepository.sizes(deps.db, userId);
    const settings = await deps.providers.settingsOf(userId);
    const chosen = settings.providers.find((p) => p.id === settings.providerId);
    if (!chosen || !settings.model) return { messages: count, estimatedTokens: 0, provider: null };
    // Stored size is the raw message (headers, MIME, HTML); the prompt holds at most MAX_BODY_CHARS of text.
    const tokens = sizes.reduce((sum, size) => sum + estimateTokens(Math.min(size, MAX_BODY_CHARS) + HEADER_CHARS) + PROMPT_OVERHEAD_TOKENS, 0);
    return { messages: count, estimatedTokens: tokens, provider: { id: chosen.id, name: chosen.name, model: settings.model, locality: chosen.locality } };
  }

  return {
    estimate,
    /** Starts the re-analysis when `confirmedMessages` matches the current estimate; else 409 with the new estimate. */
    async confirm(userId: string, confirmedMessages: number): Promise<{ messages: number; queued: boolean }> {
      const current = await estimate(userId);
      if (current.messages !== confirmedMessages) {
        throw new AppError('REANALYSE_ESTIMATE_CHANGED', 'the number of messages changed since the estimate; confirm the new estimate', 409, { estimate: current });
      }
      const messages = await reanalysisRepository.resetAll(deps.db, userId);
      // Without a queue (API-only apps) the next analysis run picks the pending messages up.
      if (deps.queue) await queueAnalysisRuns(deps.db, deps.queue, userId);
      return { messages, queued: Boolean(deps.queue) };
    },
  };
}

export type Reanalysis = ReturnType<typeof createReanalysis>;
