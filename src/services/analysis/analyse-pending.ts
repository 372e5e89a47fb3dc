import type { Kysely } from 'kysely';
import { analyseMessage, colourOf, scoreOf } from '../../ai/builtin/index.js';
import type { AnalysisResult, Level, MailAddress } from '../../ai/types.js';
import type { Crypto, UserCipher } from '../../crypto/crypto.js';
import type { Database } from '../../db/schema.js';
import { TransientError } from '../../jobs/errors.js';
import { assertFence, type Lease } from '../../jobs/leases.js';
import { earlierInThread, mergedCorrections, markAnalysis, pendingMessages, writeAnalysis, type CorrectionFields, type EffectiveAnalysisRow } from '../../repositories/message-analysis.js';
import { THREAD_CONTEXT, threadContextOf } from './analysis-input.js';
import { accountAddresses, indexAddresses, inputWithHistory, loadUserSignals } from './sender-history.js';
import type { LlmRefiner, Refinement } from './llm-refine.js';

export const ANALYSIS_CONTEXT = { summary: 'message.summary.v1', reasons: 'message.reasons.v1', tags: 'message.tags.v1', example: 'message.correction.example.v1' } as const;

export interface AnalysePendingDeps {
  db: Kysely<Database>;
  crypto: Pick<Crypto, 'forUser'>;
  now: () => number;
  /** The LLM stage (user over LLM over built-in); absent: built-in only. */
  refine?: LlmRefiner;
}

export interface AnalysePendingOptions {
  /** Messages per batch (one read, then one short transaction per message). */
  limit?: number;
  /** Stop after this many batches (the job runs until nothing is pending). */
  maxBatches?: number;
  lease?: Lease;
  signal?: AbortSignal;
}

/** The sealed details kept beside the plain levels. */
export interface SealedReasons {
  reasons: AnalysisResult['reasons'];
  deadline: string | null;
  language: string;
  isNewsletter: boolean;
}

/** The row values of an analysis with the user's corrections laid over it (user over built-in). */
export function effectiveRow(cipher: UserCipher, messageId: string, result: AnalysisResult, correction: CorrectionFields | undefined): EffectiveAnalysisRow {
  const urgency = (correction?.urgency ?? result.urgency) as Level;
  const importance = (correction?.importance ?? result.importance) as Level;
  let category: string = correction?.category ?? result.category;
  const isSpam = correction?.is_spam != null ? correction.is_spam === 1 : correction?.category != null ? correction.category === 'spam' : result.isSpam;
  if (isSpam && correction?.category == null) category = 'spam';
  if (!isSpam && category === 'spam') category = 'information';
  const score = scoreOf(urgency, importance);
  const sealed: SealedReasons = { reasons: result.reasons, deadline: result.deadline, language: result.language, isNewsletter: result.isNewsletter };
  return {
    urgency,
    importance,
    score,
    colour: colourOf(score),
    category,
    is_spam: isSpam ? 1 : 0,
    confidence: correction ? 1 : result.confidence,
    analysis_source: correction ? 'user' : result.source,
    analysis_summary: cipher.sealText(ANALYSIS_CONTEXT.summary, messageId, result.summary),
    analysis_reasons: cipher.sealText(ANALYSIS_CONTEXT.reasons, messageId, JSON.stringify(sealed)),
    analysis_tags: cipher.sealText(ANALYSIS_CONTEXT.tags, messageId, JSON.stringify(result.suggestedTags)),
  };
}

/**
 * Analyses the user's pending messages (of one account, or all) in batches with the built-in
 * analyser and stores the effective analysis. Each message is written in its own short transaction,
 * so a crash leaves the rest pending and they are picked up by the next run; a user's correction
 * always wins over the analyser.
 */
export async function analysePending(
  deps: AnalysePendingDeps,
  userId: string,
  accountId?: string,
  options: AnalysePendingOptions = {},
): Promise<{ analysed: number; failed: number; deferred?: number; deferredReason?: string }> {
  const limit = Math.max(1, options.limit ?? 100);
  const cipher = await deps.crypto.forUser(userId);
  const signals = await loadUserSignals(deps.db, cipher, userId);
  // Every message's addresses are indexed first, so a sender's history includes the Sent folder.
  await indexAddresses(deps.db, cipher, userId, accountId, options.lease);
  const accounts = new Map<string, Promise<string[]>>();
  const ownAddresses = (id: string) => accounts.get(id) ?? accounts.set(id, accountAddresses(deps.db, cipher, userId, id)).get(id)!;
  const refine = deps.refine ? await deps.refine(userId, options.signal) : null;
  // Once the LLM stage defers (provider down, budget spent), the rest of the run is built-in only.
  let stopped: Extract<Refinement, { kind: 'deferred' }> | null = null;
  let analysed = 0;
  let failed = 0;
  let deferred = 0;
  let afterId: string | undefined;
  for (let batch = 0; batch < (options.maxBatches ?? Infinity); batch++) {
    options.signal?.throwIfAborted();
    const rows = await pendingMessages(deps.db, userId, accountId, limit, afterId);
    if (rows.length === 0) break;
    afterId = rows[rows.length - 1]!.id;
    const corrections = await mergedCorrections(deps.db, userId, rows.map((r) => r.id));
    for (const row of rows) {
      const now = deps.now();
      let value: EffectiveAnalysisRow | null = null;
      let outcome: { status: 'pending' | 'done' | 'failed'; error: string | null } = { status: 'done', error: null };
      try {
        const input = await inputWithHistory(deps.db, cipher, userId, row, await ownAddresses(row.account_id));
        const builtin = analyseMessage(input, signals, { now });
        let result = builtin;
        if (refine) {
          let r: Refinement;
          if (stopped) r = stopped;
          else {
            const earlier: { texts: string[]; people: MailAddress[] } = threadContextOf(cipher, await earlierInThread(deps.db, userId, row.id, THREAD_CONTEXT.messages));
            r = await refine({ userId, messageId: row.id, input, builtin, thread: earlier.texts, threadPeople: earlier.people });
          }
          if (r.kind === 'result') result = r.result;
          else if (r.kind === 'failed') outcome = { status: 'failed', error: r.code };
          else {
            outcome = { status: 'pending', error: r.code };
            stopped = r;
          }
        }
        value = effectiveRow(cipher, row.id, result, corrections.get(row.id));
      } catch (err) {
        if (options.signal?.aborted) throw err;
        // Codes only: the message text must not reach the error column.
        failed++;
      }
      await deps.db.transaction().execute(async (trx) => {
        if (options.lease) await assertFence(trx, options.lease.key, options.lease.token);
        if (!value) return markAnalysis(trx, userId, row.id, 'failed', 'ANALYSIS_FAILED', now);
        // Without a correction in hand, a correction committed meanwhile must not be overwritten.
        await writeAnalysis(trx, userId, row.id, value, now, !corrections.has(row.id), outcome);
      });
      if (!value) continue;
      if (outcome.status === 'pending') deferred++;
      else if (outcome.status === 'failed') failed++;
      else analysed++;
    }
    if (rows.length < limit) break;
  }
  // A provider that is down or slow: the job fails transiently and the queue runs it again later.
  if (stopped?.retry) throw new TransientError(stopped.code, `LLM provider unavailable (${stopped.code}); ${deferred} message(s) keep the built-in analysis and stay pending`);
  return { analysed, failed, ...(stopped ? { deferred, deferredReason: stopped.code } : {}) };
}
