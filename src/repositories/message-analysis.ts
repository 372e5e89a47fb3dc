import type { Insertable } from 'kysely';
import type { Executor, MessageCorrectionsTable } from '../db/schema.js';

/** The effective analysis on message rows, corrections, and the dashboard's counts. Every query is scoped by user id. */

export interface EffectiveAnalysisRow {
  urgency: number;
  importance: number;
  score: number;
  colour: string;
  category: string;
  is_spam: number;
  confidence: number;
  analysis_source: string;
  analysis_summary: Buffer | null;
  analysis_reasons: Buffer | null;
  analysis_tags: Buffer | null;
}

/** Pending messages, oldest first, with what the analyser reads (sealed). */
export async function pendingMessages(ex: Executor, userId: string, accountId: string | undefined, limit: number, afterId?: string) {
  let q = ex
    .selectFrom('messages')
    .select(['id', 'account_id', 'date', 'envelope', 'body_text', 'body_html', 'calendar', 'has_attachments'])
    .where('user_id', '=', userId)
    .where('analysis_status', '=', 'pending');
  if (accountId) q = q.where('account_id', '=', accountId);
  // A run that leaves messages pending on purpose (LLM deferred) moves past them.
  if (afterId) q = q.where('id', '>', afterId);
  return q.orderBy('id').limit(limit).execute();
}

/**
 * Every account (of any user) with messages left pending for this error code (a system job's scan:
 * it yields ids only, and whatever it queues runs as the account's owner).
 */
export async function accountsWithDeferred(ex: Executor, errorCode: string): Promise<Array<{ userId: string; accountId: string }>> {
  const rows = await ex
    .selectFrom('messages')
    .select(['user_id', 'account_id'])
    .distinct()
    .where('analysis_status', '=', 'pending')
    .where('analysis_error', '=', errorCode)
    .execute();
  return rows.map((r) => ({ userId: r.user_id, accountId: r.account_id }));
}

/**
 * Up to `limit` earlier messages of the same thread as `messageId` (the newest of them, returned
 * oldest first), with the sealed columns the analyser reads: the LLM's thread context.
 */
export async function earlierInThread(ex: Executor, userId: string, messageId: string, limit: number) {
  const rows = await ex
    .selectFrom('messages as m')
    .innerJoin('messages as e', (j) => j.onRef('e.thread_id', '=', 'm.thread_id').onRef('e.user_id', '=', 'm.user_id'))
    .select(['e.id', 'e.date', 'e.envelope', 'e.body_text', 'e.body_html', 'e.calendar', 'e.has_attachments'])
    .where('m.user_id', '=', userId)
    .where('m.id', '=', messageId)
    .where('e.id', '!=', messageId)
    .whereRef('e.date', '<=', 'm.date')
    .orderBy('e.date', 'desc')
    .orderBy('e.id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse();
}

/**
 * Writes an analyser's result. With `unlessUser` the row is left alone when the user has corrected
 * it meanwhile (returns false); the status still becomes done so the message is not picked up again.
 */
export async function writeAnalysis(
  ex: Executor,
  userId: string,
  messageId: string,
  row: EffectiveAnalysisRow,
  now: number,
  unlessUser: boolean,
  outcome: { status: 'pending' | 'done' | 'failed'; error: string | null } = { status: 'done', error: null },
): Promise<boolean> {
  let q = ex
    .updateTable('messages')
    .set({ ...row, analysis_status: outcome.status, analysis_error: outcome.error, analysed_at: now })
    .where('user_id', '=', userId)
    .where('id', '=', messageId);
  if (unlessUser) q = q.where((eb) => eb.or([eb('analysis_source', 'is', null), eb('analysis_source', '!=', 'user')]));
  const res = await q.executeTakeFirst();
  if (Number(res.numUpdatedRows) === 1) return true;
  await markAnalysis(ex, userId, messageId, outcome.status, outcome.error, now);
  return false;
}

export async function markAnalysis(ex: Executor, userId: string, messageId: string, status: 'pending' | 'done' | 'failed', error: string | null, now: number): Promise<void> {
  await ex
    .updateTable('messages')
    .set({ analysis_status: status, analysis_error: error, ...(status === 'pending' ? {} : { analysed_at: now }) })
    .where('user_id', '=', userId)
    .where('id', '=', messageId)
    .execute();
}

/** Puts messages back in the queue (re-analysis); corrections stay. */
export async function resetAnalysis(ex: Executor, userId: string, messageIds: readonly string[]): Promise<void> {
  if (messageIds.length === 0) return;
  await ex.updateTable('messages').set({ analysis_status: 'pending' }).where('user_id', '=', userId).where('id', 'in', messageIds.slice(0, 500)).execute();
}

export async function insertCorrection(ex: Executor, row: Insertable<MessageCorrectionsTable>): Promise<void> {
  await ex.insertInto('message_corrections').values(row).execute();
}

export interface CorrectionFields {
  urgency: number | null;
  importance: number | null;
  category: string | null;
  is_spam: number | null;
}

/** The user's corrections of these messages merged per field, the latest winning. */
export async function mergedCorrections(ex: Executor, userId: string, messageIds: readonly string[]): Promise<Map<string, CorrectionFields>> {
  const out = new Map<string, CorrectionFields>();
  if (messageIds.length === 0) return out;
  const rows = await ex
    .selectFrom('message_corrections')
    .select(['message_id', 'urgency', 'importance', 'category', 'is_spam'])
    .where('user_id', '=', userId)
    .where('message_id', 'in', messageIds.slice(0, 500))
    // Corrections of tags alone do not rate the message.
    .where((eb) => eb.or([eb('urgency', 'is not', null), eb('importance', 'is not', null), eb('category', 'is not', null), eb('is_spam', 'is not', null)]))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const prev = out.get(r.message_id) ?? { urgency: null, importance: null, category: null, is_spam: null };
    out.set(r.message_id, {
      urgency: r.urgency ?? prev.urgency,
      importance: r.importance ?? prev.importance,
      category: r.category ?? prev.category,
      is_spam: r.is_spam ?? prev.is_spam,
    });
  }
  return out;
}

export interface DashboardFilter {
  accountId?: string;
  includeSpam?: boolean;
  includeDone?: boolean;
}

function dashboardBase(ex: Executor, userId: string, f: DashboardFilter) {
  // Any message with an effective analysis counts, also while it waits for re-analysis.
  let q = ex.selectFrom('messages').where('user_id', '=', userId).where('copy_count', '>', 0).where('urgency', 'is not', null);
  if (f.accountId) q = q.where('account_id', '=', f.accountId);
  if (!f.includeSpam) q = q.where('is_spam', '=', 0);
  if (!f.includeDone) q = q.where('is_done', '=', 0);
  return q;
}

/** Message counts per (urgency, importance) cell, in SQL. */
export async function cellCounts(ex: Executor, userId: string, f: DashboardFilter): Promise<Array<{ urgency: number; importance: number; count: number }>> {
  const rows = await dashboardBase(ex, userId, f)
    .select(['urgency', 'importance', (eb) => eb.fn.countAll<number | string>().as('n')])
    .groupBy(['urgency', 'importance'])
    .execute();
  return rows.map((r) => ({ urgency: Number(r.urgency), importance: Number(r.importance), count: Number(r.n) }));
}

/** The ids of the top messages of one cell: highest confidence first, then newest. */
export async function topOfCell(ex: Executor, userId: string, f: DashboardFilter, urgency: number, importance: number, limit: number): Promise<string[]> {
  const rows = await dashboardBase(ex, userId, f)
    .select('id')
    .where('urgency', '=', urgency)
    .where('importance', '=', importance)
    .orderBy('date', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Puts every analysed message of the user back in the queue (their signals changed); corrections stay and are laid over again. */
export async function requeueAnalysis(ex: Executor, userId: string): Promise<void> {
  await ex.updateTable('messages').set({ analysis_status: 'pending' }).where('user_id', '=', userId).where('analysis_status', '!=', 'pending').execute();
}
