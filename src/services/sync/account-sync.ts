import type { Kysely } from 'kysely';
import type { Crypto } from '../../crypto/crypto.js';
import type { AccountState, Database } from '../../db/schema.js';
import { PermanentError, TransientError } from '../../jobs/errors.js';
import { connectionEndReason } from '../../mail/imap/connect.js';
import type { Lease } from '../../jobs/leases.js';
import type { JobProgress } from '../../jobs/types.js';
import { newId } from '../../db/ids.js';
import { recordSyncRun, type FolderRunRecord } from '../../repositories/sync-runs.js';
import type { CrashHook } from './crash-points.js';
import { syncFolder, type FolderSyncOptions, type ImapSession, type SyncStore } from './folder-sync.js';
import type { FolderStatus } from './plan.js';

/** Lends a pooled, authenticated IMAP session of the account (the accounts service's pool). */
export interface AccountConnections {
  withConnection<T>(accountId: string, fn: (client: ImapSession) => Promise<T>, options?: { signal?: AbortSignal }): Promise<T>;
}

/**
 * Lists the server's folders into the folders table (new ones, roles, gone ones), and gives the
 * STATUS the list carried for each folder id, where it carried all of it.
 */
export interface FolderDirectory {
  refresh(userId: string, accountId: string, client: ImapSession): Promise<{ statuses: ReadonlyMap<string, FolderStatus> }>;
}

export interface AccountSyncDeps {
  db: Kysely<Database>;
  crypto: Pick<Crypto, 'forUser'>;
  connections: AccountConnections;
  folders: FolderDirectory;
  store: SyncStore;
  options: Omit<FolderSyncOptions, 'initialWindowDays' | 'initialMaxPerFolder'>;
  crash?: CrashHook;
  /** Called after a run that stored new messages (queues their analysis); a failure here does not fail the sync. */
  onStored?: (userId: string, accountId: string, stored: number) => Promise<void>;
}

export interface AccountSyncResult extends Record<string, number> {
  folders: number;
  foldersSkipped: number;
  foldersFailed: number;
  fetched: number;
  stored: number;
  flagsChanged: number;
  removed: number;
  reattached: number;
}

/**
 * How a failure affects the account: a wrong password stops retries until the user fixes it; a server
 * asking us to slow down (`[THROTTLED]`, "rate limit", "too many …") is retried after a longer back-off.
 */
export function classifySyncError(err: unknown): 'auth' | 'throttled' | 'transient' | 'permanent' {
  const e = err as { stage?: string; authenticationFailed?: boolean; code?: string; transient?: boolean; name?: string };
  if (e?.authenticationFailed || e?.stage === 'auth' || e?.code === 'IMAP_AUTH' || e?.code === 'AUTH_FAILED') return 'auth';
  if (isThrottled(err)) return 'throttled';
  if (e?.transient === true) return 'transient';
  if (e?.code && ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ETIMEOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'NoConnection', 'TIMEOUT'].includes(e.code)) return 'transient';
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return 'transient';
  return 'permanent';
}

function isThrottled(err: unknown): boolean {
  const e = err as { code?: string; responseStatus?: string; responseText?: string; serverResponseCode?: string; response?: { attributes?: Array<{ section?: Array<{ value?: unknown }> }> } };
  if (e?.code === 'ETHROTTLE' || e?.code === 'THROTTLED') return true;
  if (e?.responseStatus !== 'NO' && e?.responseStatus !== 'BAD') return false;
  const section = e.response?.attributes?.[0]?.section?.[0]?.value;
  const text = `${e.serverResponseCode ?? ''} ${typeof section === 'string' ? section : ''} ${e.responseText ?? ''}`;
  return /\bTHROTTLED\b|throttl|rate.?limit|too many (requests|commands|connections)/i.test(text);
}

/** How much longer than a network failure a throttled run waits before its retry (see src/jobs/backoff.ts). */
export const THROTTLE_BACKOFF_FACTOR = 6;

/** Errors that end the whole account run rather than one folder (the connection is gone or refused, or the server wants us to slow down). */
function isConnectionLevel(err: unknown): boolean {
  const kind = classifySyncError(err);
  const e = err as { code?: string; name?: string };
  return kind === 'auth' || kind === 'throttled' || e?.code === 'NoConnection' || e?.code === 'ECONNRESET' || e?.code === 'EPIPE' || e?.code === 'TIMEOUT' || e?.name === 'AbortError' || e?.code === 'LEASE_LOST';
}

/** A command that failed because the connection died says only "no connection"; name a timeout when that is why. */
function explainConnectionLoss(err: unknown, client: object): unknown {
  const e = err as { code?: string };
  if (e?.code === 'NoConnection' && connectionEndReason(client) === 'ETIMEOUT') return new TransientError('TIMEOUT', 'the mail server stopped answering (timeout)');
  return err;
}

export function createAccountSync(deps: AccountSyncDeps) {
  const { db } = deps;
  const setState = (userId: string, accountId: string, patch: { state: AccountState; last_sync_at?: number; last_error_code?: string | null; last_error_message?: string | null; last_error_at?: number | null }) =>
    db.updateTable('accounts').set({ ...patch, updated_at: deps.options.now() }).where('user_id', '=', userId).where('id', '=', accountId).where('state', '!=', 'deleting').execute();

  return {
    /**
     * One sync run of an account under its lease: refresh folders, then each selected folder.
     * A failing folder is recorded and the others still finish; a connection or auth failure ends the run.
     */
    async run(userId: string, accountId: string, ctx: { lease: Lease; signal: AbortSignal; progress(p: JobProgress): Promise<void> }): Promise<AccountSyncResult> {
      const account = await db
        .selectFrom('accounts')
        .select(['state', 'initial_window_days', 'initial_max_per_folder'])
        .where('user_id', '=', userId)
        .where('id', '=', accountId)
        .executeTakeFirst();
      if (!account) throw new PermanentError('ACCOUNT_NOT_FOUND', 'the account no longer exists');
      const result: AccountSyncResult = { folders: 0, foldersSkipped: 0, foldersFailed: 0, fetched: 0, stored: 0, flagsChanged: 0, removed: 0, reattached: 0 };
      if (account.state === 'deleting') return result;

      await setState(userId, accountId, { state: 'syncing' });
      const cipher = await deps.crypto.forUser(userId);
      const startedAt = deps.options.now();
      const records: FolderRunRecord[] = [];
      // The run record is kept for the account view; failing to write it never fails the sync.
      const record = (outcome: 'ok' | 'partial' | 'failed', errorCode: string | null) =>
        recordSyncRun(db, userId, accountId, { id: newId(), startedAt, finishedAt: deps.options.now(), outcome, errorCode, folders: records }).catch(() => undefined);
      try {
        await deps.connections.withConnection(
          accountId,
          async (client) => {
            const { statuses } = await deps.folders.refresh(userId, accountId, client);
            const rows = await db
              .selectFrom('folders')
              .select(['id', 'path', 'role'])
              .where('user_id', '=', userId)
              .where('account_id', '=', accountId)
              .where('is_synced', '=', 1)
              .where('is_gone', '=', 0)
              .execute();
            // By role, then by path (sealed, so sorted here): the same order on every run and both
            // databases, so a crash-suite seed (crash point + batch number) repeats exactly.
            const folders = rows
              .map((f) => ({ id: f.id, role: f.role, path: cipher.openText('folder.path.v1', f.id, f.path) }))
              .sort((a, b) => compareFolders(a, b));
            let done = 0;
            for (const f of folders) {
              ctx.signal.throwIfAborted();
              const folder = { userId, accountId, folderId: f.id, path: f.path };
              const folderStart = deps.options.now();
              try {
                const r = await syncFolder(
                  { db, store: deps.store, cipher, client, lease: ctx.lease, signal: ctx.signal, crash: deps.crash },
                  folder,
                  { ...deps.options, initialWindowDays: account.initial_window_days, initialMaxPerFolder: account.initial_max_per_folder },
                  statuses.get(f.id),
                );
                result.folders++;
                if (r.skipped) result.foldersSkipped++;
                result.fetched += r.fetched;
                result.stored += r.stored;
                result.flagsChanged += r.flagsChanged;
                result.removed += r.removed;
                result.reattached += r.reattached;
                records.push({ folderId: f.id, strategy: r.strategy, new: r.stored + r.reattached, changed: r.flagsChanged, deleted: r.removed, durationMs: deps.options.now() - folderStart, error: null });
              } catch (caught) {
                const err = explainConnectionLoss(caught, client);
                records.push({ folderId: f.id, strategy: 'failed', new: 0, changed: 0, deleted: 0, durationMs: deps.options.now() - folderStart, error: errorCode(err) });
                if (isConnectionLevel(err)) throw err;
                result.foldersFailed++;
                await db
                  .updateTable('folders')
                  .set({ last_error_code: errorCode(err), updated_at: deps.options.now() })
                  .where('user_id', '=', userId)
                  .where('id', '=', f.id)
                  .execute();
              }
              done++;
              await ctx.progress({ foldersDone: done, foldersTotal: folders.length, fetched: result.fetched, stored: result.stored });
            }
          },
          { signal: ctx.signal },
        );
        const at = deps.options.now();
        await setState(userId, accountId, {
          state: result.foldersFailed > 0 ? 'error' : 'idle',
          last_sync_at: at,
          last_error_code: result.foldersFailed > 0 ? 'FOLDERS_FAILED' : null,
          last_error_message: result.foldersFailed > 0 ? `${result.foldersFailed} folder(s) could not be synced` : null,
          last_error_at: result.foldersFailed > 0 ? at : null,
        });
        await record(result.foldersFailed > 0 ? 'partial' : 'ok', result.foldersFailed > 0 ? 'FOLDERS_FAILED' : null);
        if (result.stored > 0 && deps.onStored) await deps.onStored(userId, accountId, result.stored).catch(() => undefined);
        return result;
      } catch (err) {
        const kind = classifySyncError(err);
        const at = deps.options.now();
        const code = kind === 'auth' ? 'AUTH_FAILED' : kind === 'throttled' ? 'THROTTLED' : errorCode(err);
        const message =
          kind === 'auth'
            ? 'The mail server refused the user name or password'
            : kind === 'throttled'
              ? 'The mail server asked us to slow down; retrying later'
              : code === 'TIMEOUT'
                ? 'The mail server stopped answering; retrying'
                : kind === 'transient'
                  ? 'The mail server could not be reached; retrying'
                  : 'The sync failed';
        await setState(userId, accountId, { state: kind === 'auth' ? 'auth_error' : 'error', last_error_code: code, last_error_message: message, last_error_at: at });
        await record('failed', code);
        if (kind === 'auth') throw new PermanentError('AUTH_FAILED', message);
        if (kind === 'throttled') throw new TransientError(code, message, { backoffFactor: THROTTLE_BACKOFF_FACTOR });
        if (kind === 'transient') throw new TransientError(code, message);
        throw new PermanentError(code, message);
      }
    },
  };
}

/** A stable code for a failure, never the server's text (it may quote mail). */
function errorCode(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[A-Za-z_]{2,40}$/.test(code) ? code.toUpperCase() : 'SYNC_FAILED';
}

export type AccountSync = ReturnType<typeof createAccountSync>;

/** Folders with a role first (by role name), then the rest; ties by path, then id. */
export function compareFolders(a: { id: string; role: string | null; path: string }, b: { id: string; role: string | null; path: string }): number {
  if (a.role !== b.role) {
    if (a.role === null) return 1;
    if (b.role === null) return -1;
    return a.role < b.role ? -1 : 1;
  }
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
