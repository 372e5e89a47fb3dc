import { sql } from 'kysely';
import type { Executor } from '../db/schema.js';

/**
 * List queries over logical messages (never copies): newest first, keyset-paged by (date, id); or
 * by score (unanalysed last), then date and id.
 */

export interface ListFilter {
  accountId?: string;
  folderId?: string;
  /** The last row of the previous page (with its score when sorted by score). */
  after?: { date: number; id: string; score?: number };
  sort?: 'date' | 'score';
  unread?: boolean;
  flagged?: boolean;
  done?: boolean;
  hasAttachments?: boolean;
  calendar?: boolean;
  /** Date range, ms since the epoch: since ≤ date < until. */
  since?: number;
  until?: number;
  limit: number;
  /** Effective analysis filters (analysed messages only). */
  cell?: { urgency: number; importance: number };
  colour?: string;
  category?: string;
  /** Only messages carrying this tag. */
  tagId?: string;
  /** Only these ids (the dashboard's top messages). */
  ids?: readonly string[];
  /** Only messages of this thread. */
  threadId?: string;
}

const SUMMARY_COLUMNS = [
  'id',
  'account_id',
  'thread_id',
  'date',
  'size',
  'envelope',
  'snippet',
  'is_seen',
  'is_flagged',
  'is_answered',
  'is_done',
  'has_attachments',
  'is_newsletter',
  'is_calendar',
  'urgency',
  'importance',
  'score',
  'colour',
  'category',
  'analysis_source',
  'analysis_status',
  'analysis_summary',
] as const;

export async function listMessageRows(ex: Executor, userId: string, filter: ListFilter) {
  let q = ex.selectFrom('messages').select(SUMMARY_COLUMNS).where('user_id', '=', userId).where('copy_count', '>', 0);
  if (filter.accountId) q = q.where('account_id', '=', filter.accountId);
  if (filter.folderId) {
    const folderId = filter.folderId;
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('message_copies as c')
          .select('c.id')
          .where('c.user_id', '=', userId)
          .whereRef('c.message_id', '=', 'messages.id')
          .where('c.folder_id', '=', folderId),
      ),
    );
  }
  if (filter.cell) q = q.where('urgency', '=', filter.cell.urgency).where('importance', '=', filter.cell.importance);
  if (filter.colour) q = q.where('colour', '=', filter.colour);
  if (filter.category) q = q.where('category', '=', filter.category);
  if (filter.unread !== undefined) q = q.where('is_seen', '=', filter.unread ? 0 : 1);
  if (filter.flagged !== undefined) q = q.where('is_flagged', '=', filter.flagged ? 1 : 0);
  if (filter.done !== undefined) q = q.where('is_done', '=', filter.done ? 1 : 0);
  if (filter.hasAttachments !== undefined) q = q.where('has_attachments', '=', filter.hasAttachments ? 1 : 0);
  if (filter.calendar !== undefined) q = q.where('is_calendar', '=', filter.calendar ? 1 : 0);
  if (filter.since !== undefined) q = q.where('date', '>=', filter.since);
  if (filter.until !== undefined) q = q.where('date', '<', filter.until);
  if (filter.tagId) {
    const tagId = filter.tagId;
    q = q.where(({ exists, selectFrom }) =>
      exists(selectFrom('message_tags as t').select('t.tag_id').where('t.user_id', '=', userId).whereRef('t.message_id', '=', 'messages.id').where('t.tag_id', '=', tagId)),
    );
  }
  if (filter.threadId) q = q.where('thread_id', '=', filter.threadId);
  if (filter.ids) q = q.where('id', 'in', filter.ids.length > 0 ? filter.ids.slice(0, 500) : ['00000000-0000-0000-0000-000000000000']);
  if (filter.sort === 'score') {
    // Unanalysed messages (no score) sort after every scored one.
    const score = sql<number>`coalesce(score, -1)`;
    if (filter.after) {
      const { date, id } = filter.after;
      const s = filter.after.score ?? -1;
      q = q.where((eb) =>
        eb.or([eb(score, '<', s), eb.and([eb(score, '=', s), eb.or([eb('date', '<', date), eb.and([eb('date', '=', date), eb('id', '<', id)])])])]),
      );
    }
    return q.orderBy(score, 'desc').orderBy('date', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  }
  if (filter.after) {
    const { date, id } = filter.after;
    q = q.where((eb) => eb.or([eb('date', '<', date), eb.and([eb('date', '=', date), eb('id', '<', id)])]));
  }
  return q.orderBy('date', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

/** Folder ids of the copies of these messages. */
export async function folderIdsOf(ex: Executor, userId: string, messageIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < messageIds.length; i += 500) {
    const rows = await ex
      .selectFrom('message_copies')
      .select(['message_id', 'folder_id'])
      .where('user_id', '=', userId)
      .where('message_id', 'in', messageIds.slice(i, i + 500))
      .orderBy('created_at')
      .execute();
    for (const r of rows) out.set(r.message_id, [...new Set([...(out.get(r.message_id) ?? []), r.folder_id])]);
  }
  return out;
}
