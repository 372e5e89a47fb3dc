import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { ACCOUNT_SYNC } from '../../jobs/handlers/account-sync.js';
import type { ScheduleEntry } from '../../jobs/scheduler.js';

/**
 * Periodic sync of every account at its own interval, keyed by the account id (so never two at
 * once). Accounts with refused credentials wait until the user fixes them; deleting ones stop.
 */
export async function accountSchedules(db: Kysely<Database>): Promise<ScheduleEntry[]> {
  const rows = await db
    .selectFrom('accounts')
    .select(['id', 'user_id', 'sync_interval_minutes'])
    .where('state', 'not in', ['auth_error', 'deleting'])
    .execute();
  return rows.map((r) => ({
    key: r.id,
    type: ACCOUNT_SYNC,
    payload: { accountId: r.id },
    userId: r.user_id,
    intervalMs: r.sync_interval_minutes * 60_000,
    lane: 'bulk',
  }));
}
