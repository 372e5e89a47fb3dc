import type { ImapFlow } from 'imapflow';
import type { Kysely } from 'kysely';
import type { Config } from '../config/index.js';
import type { Crypto, UserCipher } from '../crypto/crypto.js';
import { newId } from '../db/ids.js';
import type { Database } from '../db/schema.js';
import { AppError, NotFoundError } from '../errors.js';
import { acquireLease, assertFence, releaseLease, renewLease, type Lease } from '../jobs/leases.js';
import type { KeyedJobCanceller } from '../jobs/keyed-cancel.js';
import { connectImap, type ConnectPolicy, type ConnectTimeouts, type ImapConnection, type ImapEndpoint } from '../mail/imap/connect.js';
import { ImapConnectError, type CertificateInfo, type ConnectStage } from '../mail/imap/errors.js';
import { FOLDER_PATH_CONTEXT, folderName, refreshFolders } from '../mail/imap/folders.js';
import type { Lookup } from '../mail/imap/network-guard.js';
import { createImapPool, type ImapPool } from '../mail/imap/pool.js';
import { presets } from '../mail/presets.js';
import { accountPurgeSteps } from '../repositories/account-purge.js';
import { accountsRepository, type AccountRow } from '../repositories/accounts.js';
import { foldersRepository } from '../repositories/folders.js';
import { recentSyncRuns, type FolderRunRecord } from '../repositories/sync-runs.js';
import type { RateRule, Throttle } from './auth/throttle.js';
import {
  defaults,
  toAccountView,
  type AccountSettings,
  type AccountView,
  type CreateAccountInput,
  type TestAccountInput,
  type UpdateAccountInput,
} from './account-input.js';

const NAME_CONTEXT = 'account.name.v1';
const SETTINGS_CONTEXT = 'account.settings.v1';
const DELETE_HOLDER = 'account-delete';

export interface AccountsOptions {
  /** Timeouts of connection tests (the answer must come within 15 s). */
  testTimeouts: Partial<ConnectTimeouts>;
  /** Timeouts of pooled connections (sync). */
  poolTimeouts: Partial<ConnectTimeouts>;
  poolIdleMs: number;
  /** How long a delete waits for a running sync to give up the account's lease. */
  leaseWaitMs: number;
  purgeBatch: number;
  /** Connection attempts (tests, creates, changed settings) per IP and per user. */
  rate: { perIp: RateRule; perUser: RateRule };
  /** Replaces system DNS (tests). */
  lookup?: Lookup;
}

const defaultOptions: AccountsOptions = {
  testTimeouts: {},
  poolTimeouts: { totalMs: 30_000 },
  poolIdleMs: 60_000,
  leaseWaitMs: 30_000,
  purgeBatch: 500,
  rate: {
    perIp: { bucket: 'account-test-ip', limit: 30, windowMs: 10 * 60_000 },
    perUser: { bucket: 'account-test-user', limit: 20, windowMs: 10 * 60_000 },
  },
};

/** The last sync run as the account view shows it; `path` is null for a folder deleted since. */
export interface LastRunView {
  startedAt: number;
  finishedAt: number;
  outcome: 'ok' | 'partial' | 'failed';
  errorCode: string | null;
  folders: Array<FolderRunRecord & { path: string | null }>;
}

export interface AccountsServiceDeps {
  db: Kysely<Database>;
  config: Pick<Config, 'allowPrivateMailHosts' | 'mail'>;
  crypto: Pick<Crypto, 'forUser'>;
  throttle: Pick<Throttle, 'hit'>;
  /** Cancels the account's jobs on delete; null where no queue runs (then only the lease is awaited). */
  jobs: KeyedJobCanceller | null;
  now?: () => number;
  options?: Partial<AccountsOptions>;
}

export interface TestResult {
  ok: boolean;
  stage?: ConnectStage;
  message?: string;
  certificate?: CertificateInfo;
  capabilities?: string[];
}

export interface FolderView {
  id: string;
  path: string;
  name: string;
  role: string | null;
  synced: boolean;
  messages: number;
  unseen: number;
}

function connectionFailed(err: ImapConnectError): AppError {
  return new AppError('ACCOUNT_CONNECTION_FAILED', err.message, 422, { stage: err.stage, ...(err.certificate ? { certificate: err.certificate } : {}) });
}

/**
 * Mail accounts of a user: connection tests, create/edit/delete, folder choice, and the per-account
 * IMAP pool every other part uses. Every method takes the acting user's id and answers 404 for
 * accounts of others.
 */
export function createAccountsService(deps: AccountsServiceDeps) {
  const { db } = deps;
  const now = deps.now ?? Date.now;
  const options: AccountsOptions = { ...defaultOptions, ...deps.options };
  const policy: ConnectPolicy = { allowPrivate: deps.config.allowPrivateMailHosts, insecureHosts: deps.config.mail.insecureHosts };

  const openSettings = (cipher: UserCipher, row: AccountRow): AccountSettings => JSON.parse(cipher.openText(SETTINGS_CONTEXT, row.id, row.settings)) as AccountSettings;
  const view = (cipher: UserCipher, row: AccountRow): AccountView => toAccountView(row, cipher.openText(NAME_CONTEXT, row.id, row.name), openSettings(cipher, row));

  const owned = async (userId: string, accountId: string): Promise<AccountRow> => {
    const row = await accountsRepository.find(db, userId, accountId);
    if (!row) throw new NotFoundError('Account');
    return row;
  };

  const pool: ImapPool = createImapPool({
    maxPerAccount: deps.config.mail.maxConnectionsPerAccount,
    idleMs: options.poolIdleMs,
    async open(accountId, signal) {
      const row = await accountsRepository.findAnyById(db, accountId);
      if (!row || row.state === 'deleting') throw new NotFoundError('Account');
      const cipher = await deps.crypto.forUser(row.user_id);
      const conn = await connectImap(openSettings(cipher, row).imap, { policy, signal, timeouts: { ...deps.config.mail.timeouts, ...options.poolTimeouts }, lookup: options.lookup });
      await accountsRepository.setCapabilities(db, accountId, conn.capabilities);
      return conn.client;
    },
  });

  const limitAttempts = async (userId: string, ip: string) => {
    await deps.throttle.hit(options.rate.perIp, ip);
    await deps.throttle.hit(options.rate.perUser, userId);
  };

  const tryConnect = (endpoint: ImapEndpoint, signal?: AbortSignal): Promise<ImapConnection> =>
    connectImap(endpoint, { policy, signal, timeouts: options.testTimeouts, lookup: options.lookup });

  const logout = async (client: ImapFlow) => {
    await client.logout().catch(() => client.close());
  };

  /** Waits for the account's lease (a running sync ends on cancel and gives it up). */
  const takeLease = async (accountId: string): Promise<Lease> => {
    const deadline = now() + options.leaseWaitMs;
    for (;;) {
      const lease = await acquireLease(db, accountId, DELETE_HOLDER, 5 * 60_000, now());
      if (lease) return lease;
      if (now() >= deadline) {
        throw new AppError('ACCOUNT_BUSY', 'The account is still being synced; it is marked for deletion, try again in a minute', 409);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  return {
    /** For sync and write-back: a pooled, logged-in connection of the account (cap per account). */
    imap: pool,

    presets: () => presets,

    async list(userId: string): Promise<AccountView[]> {
      const cipher = await deps.crypto.forUser(userId);
      return (await accountsRepository.listForUser(db, userId)).map((row) => view(cipher, row));
    },

    /** The account with the record of its last sync run (folder paths opened from the folders table). */
    async get(userId: string, accountId: string): Promise<AccountView & { lastRun: LastRunView | null }> {
      const row = await owned(userId, accountId);
      const cipher = await deps.crypto.forUser(userId);
      const [run] = await recentSyncRuns(db, userId, accountId, 1);
      if (!run) return { ...view(cipher, row), lastRun: null };
      const paths = new Map((await foldersRepository.listForAccount(db, userId, accountId)).map((f) => [f.id, cipher.openText(FOLDER_PATH_CONTEXT, f.id, f.path)]));
      return {
        ...view(cipher, row),
        lastRun: {
          startedAt: run.startedAt,
          finishedAt: run.finishedAt,
          outcome: run.outcome,
          errorCode: run.errorCode,
          folders: run.folders.map((f) => ({ ...f, path: paths.get(f.folderId) ?? null })),
        },
      };
    },

    /** Never throws for a failed connection: the answer names the stage. */
    async test(userId: string, ip: string, input: TestAccountInput, signal?: AbortSignal): Promise<TestResult> {
      await limitAttempts(userId, ip);
      try {
        const conn = await tryConnect(input.imap, signal);
        await logout(conn.client);
        return { ok: true, capabilities: conn.capabilities, ...(conn.certificate ? { certificate: conn.certificate } : {}) };
      } catch (err) {
        if (!(err instanceof ImapConnectError)) throw err;
        return { ok: false, stage: err.stage, message: err.message, ...(err.certificate ? { certificate: err.certificate } : {}) };
      }
    },

    /** Tests the connection first; only a working account is stored, then its folders are read. */
    async create(userId: string, ip: string, input: CreateAccountInput): Promise<AccountView> {
      await limitAttempts(userId, ip);
      let conn: ImapConnection;
      try {
        conn = await tryConnect(input.imap);
      } catch (err) {
        if (err instanceof ImapConnectError) throw connectionFailed(err);
        throw err;
      }
      try {
        const cipher = await deps.crypto.forUser(userId);
        const id = newId();
        const settings: AccountSettings = { imap: input.imap, smtp: input.smtp ?? null };
        await accountsRepository.insert(
          db,
          userId,
          {
            id,
            name: cipher.sealText(NAME_CONTEXT, id, input.name),
            settings: cipher.sealText(SETTINGS_CONTEXT, id, JSON.stringify(settings)),
            provider: input.provider ?? null,
            syncIntervalMinutes: input.syncIntervalMinutes ?? defaults.syncIntervalMinutes,
            initialWindowDays: input.initialWindow?.sinceDays ?? defaults.sinceDays,
            initialMaxPerFolder: input.initialWindow?.maxPerFolder ?? defaults.maxPerFolder,
            capabilities: conn.capabilities.join(' '),
          },
          now(),
        );
        try {
          await refreshFolders({ db, crypto: deps.crypto, now }, userId, id, conn.client, { selectPaths: input.folders });
        } catch {
          // The account works; the folder list is read again by the next refresh or sync.
          await accountsRepository.setError(db, id, 'FOLDER_LIST_FAILED', 'The folder list could not be read; it is retried with the next sync', now());
        }
        return view(cipher, (await accountsRepository.find(db, userId, id))!);
      } finally {
        await logout(conn.client);
      }
    },

    /** Changed connection settings are tested before they are saved. */
    async update(userId: string, ip: string, accountId: string, input: UpdateAccountInput): Promise<AccountView> {
      const row = await owned(userId, accountId);
      if (row.state === 'deleting') throw new AppError('ACCOUNT_DELETING', 'The account is being deleted', 409);
      const cipher = await deps.crypto.forUser(userId);
      const settings = openSettings(cipher, row);
      let capabilities: string[] | null = null;
      if (input.imap && Object.keys(input.imap).length > 0) {
        const imap: ImapEndpoint = { ...settings.imap, ...input.imap };
        // A new server must not receive the stored password: it has to come with the change.
        if ((imap.host !== settings.imap.host || imap.user !== settings.imap.user) && !input.imap.password) {
          throw new AppError('PASSWORD_REQUIRED', 'Enter the password again when changing the server or user name', 400);
        }
        await limitAttempts(userId, ip);
        try {
          const conn = await tryConnect(imap);
          capabilities = conn.capabilities;
          await logout(conn.client);
        } catch (err) {
          if (err instanceof ImapConnectError) throw connectionFailed(err);
          throw err;
        }
        settings.imap = imap;
      }
      if (input.smtp !== undefined) settings.smtp = input.smtp;
      await accountsRepository.update(
        db,
        userId,
        accountId,
        {
          ...(input.name !== undefined ? { name: cipher.sealText(NAME_CONTEXT, accountId, input.name) } : {}),
          ...(input.imap || input.smtp !== undefined ? { settings: cipher.sealText(SETTINGS_CONTEXT, accountId, JSON.stringify(settings)) } : {}),
          ...(input.provider !== undefined ? { provider: input.provider } : {}),
          ...(input.syncIntervalMinutes !== undefined ? { sync_interval_minutes: input.syncIntervalMinutes } : {}),
          ...(input.initialWindow?.sinceDays !== undefined ? { initial_window_days: input.initialWindow.sinceDays } : {}),
          ...(input.initialWindow?.maxPerFolder !== undefined ? { initial_max_per_folder: input.initialWindow.maxPerFolder } : {}),
          ...(capabilities ? { capabilities: capabilities.join(' ') } : {}),
          // New credentials that just logged in lift a refused-password state: syncs resume.
          ...(capabilities && row.state === 'auth_error' ? { state: 'idle' as const, last_error_code: null, last_error_message: null, last_error_at: null } : {}),
        },
        now(),
      );
      // Idle connections still use the old login.
      if (input.imap) await pool.closeAccount(accountId);
      return view(cipher, (await accountsRepository.find(db, userId, accountId))!);
    },

    async folders(userId: string, accountId: string): Promise<FolderView[]> {
      await owned(userId, accountId);
      const cipher = await deps.crypto.forUser(userId);
      return (await foldersRepository.listForAccount(db, userId, accountId)).map((f) => {
        const path = cipher.openText(FOLDER_PATH_CONTEXT, f.id, f.path);
        return { id: f.id, path, name: folderName(path, f.delimiter), role: f.role, synced: f.is_synced === 1, messages: f.message_count, unseen: f.unseen_count };
      });
    },

    async selectFolders(userId: string, accountId: string, changes: { id: string; synced: boolean }[]): Promise<FolderView[]> {
      await owned(userId, accountId);
      const known = new Set((await foldersRepository.listForAccount(db, userId, accountId)).map((f) => f.id));
      if (changes.some((c) => !known.has(c.id))) throw new NotFoundError('Folder');
      await db.transaction().execute(async (trx) => {
        for (const synced of [true, false]) {
          await foldersRepository.setSynced(trx, userId, accountId, changes.filter((c) => c.synced === synced).map((c) => c.id), synced, now());
        }
      });
      return this.folders(userId, accountId);
    },

    /** Reads the folder list from the server again, over the account's pool. */
    async refreshFolders(userId: string, accountId: string): Promise<FolderView[]> {
      const row = await owned(userId, accountId);
      if (row.state === 'deleting') throw new AppError('ACCOUNT_DELETING', 'The account is being deleted', 409);
      try {
        await pool.withConnection(accountId, (client) => refreshFolders({ db, crypto: deps.crypto, now }, userId, accountId, client));
      } catch (err) {
        if (err instanceof ImapConnectError) throw connectionFailed(err);
        throw err;
      }
      return this.folders(userId, accountId);
    },

    /**
     * Removes the account's local data; the server is never touched. Marks it deleting (the sync
     * refuses such accounts), cancels its jobs, waits for its lease, then purges in batches, each
     * transaction fenced by the lease so a stalled sync can never write into a half-deleted account.
     */
    async remove(userId: string, accountId: string): Promise<void> {
      await owned(userId, accountId);
      await accountsRepository.setState(db, userId, accountId, 'deleting', now());
      await deps.jobs?.cancelKey(accountId, userId);
      await pool.closeAccount(accountId);
      const lease = await takeLease(accountId);
      try {
        for (const step of accountPurgeSteps) {
          for (;;) {
            const deleted = await db.transaction().execute(async (trx) => {
              await assertFence(trx, accountId, lease.token);
              return step.deleteBatch(trx, userId, accountId, options.purgeBatch);
            });
            await renewLease(db, lease, 5 * 60_000, now());
            if (deleted < options.purgeBatch) break;
          }
        }
        await db.transaction().execute(async (trx) => {
          await assertFence(trx, accountId, lease.token);
          await accountsRepository.delete(trx, userId, accountId);
        });
      } finally {
        await releaseLease(db, lease);
      }
    },

    async close(): Promise<void> {
      await pool.close();
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
