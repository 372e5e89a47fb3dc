import type { Executor } from '../db/schema.js';

/** The record of one sync run of an account: per folder what the sync did. Every query is scoped by user id. */

export interface FolderRunRecord {
  folderId: string;
  /** 'skip', 'initial', 'reseed', or what an incremental run did: 'new', 'changedsince', 'flags-pass', 'expunge-check', joined by '+'. */
  strategy: string;
  new: number;
  changed: number;
  deleted: number;
  durationMs: number;
  /** Error code only (never server text). */
  error: string | null;
}

export interface SyncRunRecord {
  id: string;
  startedAt: number;
  finishedAt: number;
  outcome: 'ok' | 'partial' | 'failed';
  errorCode: string | null;
  folders: FolderRunRecord[];
}

/** How many runs per account are kept. */
export const KEPT_RUNS = 10;

/** Stores a run and drops the account's runs beyond the newest `KEPT_RUNS`. */
export async function recordSyncRun(ex: Executor, userId: string, accountId: string, run: SyncRunRecord): Promise<void> {
  await ex
    .insertInto('sync_runs')
    .values({
      id: run.id,
      user_id: userId,
      account_id: accountId,
      started_at: run.startedAt,
      finished_at: run.finishedAt,
      outcome: run.outcome,
      error_code: run.errorCode,
      folders: JSON.stringify(run.folders),
    })
    .execute();
  const old = await ex
    .selectFrom('sync_runs')
    .select('id')
    .where('user_id', '=', userId)
    .where('account_id', '=', accountId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .offset(KEPT_RUNS)
    .limit(1000)
    .execute();
  if (old.length > 0) await ex.deleteFrom('sync_runs').where('user_id', '=', userId).where('id', 'in', old.map((r) => r.id)).execute();
}

/** The account's newest runs, newest first. */
export async function recentSyncRuns(ex: Executor, userId: string, accountId: string, limit = 1): Promise<SyncRunRecord[]> {
  const rows = await ex
    .selectFrom('sync_runs')
    .selectAll()
    .where('user_id', '=', userId)
    .where('account_id', '=', accountId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    startedAt: Number(r.started_at),
    finishedAt: Number(r.finished_at),
    outcome: r.outcome,
    errorCode: r.error_code,
    folders: JSON.parse(r.folders) as FolderRunRecord[],
  }));
}
