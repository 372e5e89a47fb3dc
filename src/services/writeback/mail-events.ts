import type { JobSignals } from '../../jobs/embedded/signals.js';

/** More ids than this go out as an empty list ("many: reload"), keeping the signal far below PostgreSQL's NOTIFY limit. */
const MAX_IDS = 50;

/** Tells the user's other tabs that messages (and so the counts) changed: ids only. */
export async function publishMailChange(signals: Pick<JobSignals, 'publish'>, change: { userId: string; accountIds: string[]; messageIds: string[] }): Promise<void> {
  const messageIds = change.messageIds.length > MAX_IDS ? [] : change.messageIds;
  await signals.publish({ kind: 'event', event: { type: 'messages.changed', userId: change.userId, accountIds: change.accountIds, messageIds } });
  await signals.publish({ kind: 'event', event: { type: 'counts.changed', userId: change.userId, accountIds: change.accountIds } });
}
