import type { Kysely } from 'kysely';
import { analyseMessage, colourOf, renderReason, scoreOf, trainingExample, type Correction, type ReaderLanguage } from '../../ai/builtin/index.js';
import type { Category, Level } from '../../ai/types.js';
import type { Crypto } from '../../crypto/crypto.js';
import type { Database } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import { cellCounts, insertCorrection, mergedCorrections, topOfCell, writeAnalysis } from '../../repositories/message-analysis.js';
import { findMessage } from '../../repositories/messages.js';
import { existingTagIds, findTagByNameHash, setMessageTags } from '../../repositories/tags.js';
import { tagRefsOf, type TagRef } from '../tag-refs.js';
import { tagNameHash, TagNotFoundError } from '../tags.js';
import { usersRepository } from '../../repositories/users.js';
import { MessageNotFoundError, type MessageReader, type MessageSummary } from '../messages/message-reader.js';
import { accountAddresses, inputWithHistory, loadUserSignals } from './sender-history.js';
import { ANALYSIS_CONTEXT, effectiveRow, type SealedReasons } from './analyse-pending.js';
import type { LlmRefiner } from './llm-refine.js';

export interface AnalysisServiceDeps {
  db: Kysely<Database>;
  crypto: Pick<Crypto, 'forUser'>;
  reader: Pick<MessageReader, 'listMessages'>;
  now: () => number;
  /** The LLM stage: a correction is laid over the user's cached LLM result when there is one. */
  refine?: LlmRefiner;
}

export interface CorrectionInput {
  urgency?: Level;
  importance?: Level;
  category?: Category;
  spam?: boolean;
  /** The message's tags after the correction: ids of the user's tags. */
  tags?: string[];
}

export interface FullAnalysis {
  urgency: number | null;
  importance: number | null;
  score: number | null;
  colour: string | null;
  category: string | null;
  isSpam: boolean | null;
  confidence: number | null;
  summary: string | null;
  /**
   * The analyser's suggestions (stable English keys) with the id of the user's tag of that name,
   * if any. They stay suggestions: only an assignment or a correction puts a tag on the message.
   */
  suggestedTags: Array<{ key: string; tagId: string | null }>;
  reasons: Array<{ code: string; params: Record<string, string | number>; text: string }>;
  deadline: string | null;
  language: string | null;
  source: string | null;
  status: string;
  error: string | null;
  analysedAt: number | null;
}

export interface DashboardCell {
  urgency: number;
  importance: number;
  score: number;
  colour: string;
  count: number;
  top: MessageSummary[];
}

const TOP = 5;

/** The dashboard, the full analysis of one message, and corrections. Every call acts for `userId` on its own data only. */
export function createAnalysisService(deps: AnalysisServiceDeps) {
  const { db } = deps;

  async function readerLanguage(userId: string): Promise<ReaderLanguage> {
    const user = await usersRepository.findById(db, userId);
    return user?.language?.startsWith('de') ? 'de' : 'en';
  }

  async function analysisOf(userId: string, messageId: string): Promise<FullAnalysis> {
    const row = await findMessage(db, userId, messageId);
    if (!row || row.copy_count === 0) throw new MessageNotFoundError();
    const cipher = await deps.crypto.forUser(userId);
    const lang = await readerLanguage(userId);
    const sealed = row.analysis_reasons ? (JSON.parse(cipher.openText(ANALYSIS_CONTEXT.reasons, row.id, row.analysis_reasons)) as SealedReasons) : null;
    return {
      urgency: row.urgency,
      importance: row.importance,
      score: row.score,
      colour: row.colour,
      category: row.category,
      isSpam: row.is_spam === null ? null : row.is_spam === 1,
      confidence: row.confidence,
      summary: row.analysis_summary ? cipher.openText(ANALYSIS_CONTEXT.summary, row.id, row.analysis_summary) : null,
      suggestedTags: await Promise.all(
        (row.analysis_tags ? (JSON.parse(cipher.openText(ANALYSIS_CONTEXT.tags, row.id, row.analysis_tags)) as string[]) : []).map(async (key) => ({
          key,
          tagId: (await findTagByNameHash(db, userId, tagNameHash(cipher, key)))?.id ?? null,
        })),
      ),
      reasons: (sealed?.reasons ?? []).map((r) => ({ code: r.code, params: r.params, text: renderReason(r, lang) })),
      deadline: sealed?.deadline ?? null,
      language: sealed?.language ?? null,
      source: row.analysis_source,
      status: row.analysis_status,
      error: row.analysis_error,
      analysedAt: row.analysed_at,
    };
  }

  return {
    analysisOf,

    /** The user's tags on the message (after a correction set them). */
    async tagsOf(userId: string, messageId: string): Promise<TagRef[]> {
      return (await tagRefsOf(db, await deps.crypto.forUser(userId), userId, [messageId])).get(messageId) ?? [];
    },

    /** Nine cells in (urgency, importance) order; counts are messages (not copies), spam and done excluded. */
    async dashboard(userId: string, accountId?: string): Promise<{ cells: DashboardCell[] }> {
      const filter = { accountId };
      const counts = await cellCounts(db, userId, filter);
      const cells: DashboardCell[] = [];
      for (const urgency of [1, 2, 3] as const) {
        for (const importance of [1, 2, 3] as const) {
          const count = counts.find((c) => c.urgency === urgency && c.importance === importance)?.count ?? 0;
          const ids = count > 0 ? await topOfCell(db, userId, filter, urgency, importance, TOP) : [];
          const top = ids.length > 0 ? (await deps.reader.listMessages(userId, { ids, limit: TOP })).items : [];
          const score = scoreOf(urgency, importance);
          cells.push({ urgency, importance, score, colour: colourOf(score), count, top });
        }
      }
      return { cells };
    },

    /**
     * Stores the correction (the source of truth for learning, with the learner's hashed example) and
     * sets the effective analysis with source 'user' at once: the built-in result with every
     * correction of the message laid over it.
     */
    async correct(userId: string, messageId: string, input: CorrectionInput): Promise<FullAnalysis> {
      const row = await findMessage(db, userId, messageId);
      if (!row || row.copy_count === 0) throw new MessageNotFoundError();
      const tagIds = input.tags ? [...new Set(input.tags)] : undefined;
      if (tagIds && (await existingTagIds(db, userId, tagIds)).size !== tagIds.length) throw new TagNotFoundError();
      const rates = input.urgency !== undefined || input.importance !== undefined || input.category !== undefined || input.spam !== undefined;
      const cipher = await deps.crypto.forUser(userId);
      const own = await accountAddresses(db, cipher, userId, row.account_id);
      const analysisInput = await inputWithHistory(db, cipher, userId, row, own);
      const now = deps.now();
      const builtin = analyseMessage(analysisInput, await loadUserSignals(db, cipher, userId), { now });
      const correction: Correction = { urgency: input.urgency, importance: input.importance, category: input.category, spam: input.spam };
      const example = trainingExample(analysisInput, builtin, correction);
      // User over LLM over built-in: the cached LLM answer for this content and the user's model, if any.
      const llm = deps.refine ? await deps.refine(userId, undefined, { cacheOnly: true }) : null;
      const refined = llm ? await llm({ userId, messageId, input: analysisInput, builtin, thread: [] }) : null;
      const base = refined?.kind === 'result' ? refined.result : builtin;
      const id = newId();
      await db.transaction().execute(async (trx) => {
        await insertCorrection(trx, {
          id,
          user_id: userId,
          message_id: messageId,
          urgency: input.urgency ?? null,
          importance: input.importance ?? null,
          category: input.category ?? null,
          is_spam: input.spam === undefined ? null : input.spam ? 1 : 0,
          previous_source: row.analysis_source,
          example: cipher.sealText(ANALYSIS_CONTEXT.example, id, JSON.stringify(example)),
          tag_ids: tagIds ? JSON.stringify(tagIds) : null,
          created_at: now,
        });
        if (tagIds) await setMessageTags(trx, userId, messageId, tagIds, now);
        // A correction of tags alone leaves the rating as it is.
        if (!rates) return;
        const merged = (await mergedCorrections(trx, userId, [messageId])).get(messageId);
        await writeAnalysis(trx, userId, messageId, effectiveRow(cipher, messageId, base, merged), now, false);
      });
      return analysisOf(userId, messageId);
    },
  };
}

export type AnalysisService = ReturnType<typeof createAnalysisService>;
