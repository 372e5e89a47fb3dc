import { sql } from 'kysely';
import type { Config } from './config/index.js';
import type { Crypto } from './crypto/crypto.js';
import { loadConfiguredKeys, openCrypto } from './crypto/open-crypto.js';
import { createDatabase, type DatabaseHandle } from './db/database.js';
import { acquireInstanceLock, type InstanceLock } from './db/instance-lock.js';
import { assertSchemaCurrent, migrateUp } from './db/migrate.js';
import { openJobs, type JobsRuntime } from './jobs/runtime.js';
import type { Logger } from './observability/logger.js';
import { ReadinessRegistry } from './observability/readiness.js';
import { createServices, type Services } from './services/index.js';
import { createAccountsService, type AccountsService } from './services/accounts.js';
import type { ImapFlow } from 'imapflow';
import { refreshFolders } from './mail/imap/folders.js';
import { createParsePool } from './mail/mime/parse-pool.js';
import { createAccountSync } from './services/sync/account-sync.js';
import { accountSchedules } from './services/sync/schedules.js';
import { createCrashPoints } from './services/sync/crash-points.js';
import { createSyncStore } from './services/sync/store-adapter.js';
import { createKeyedCanceller } from './jobs/keyed-cancel.js';
import { ANALYSIS_RUN, analysisKey, queueAnalysisRuns } from './jobs/handlers/analysis-run.js';
import { createInstanceSealer, type InstanceSealer } from './crypto/instance-secrets.js';
import { createAiProvidersService } from './services/analysis/llm-providers.js';
import { createLlmRefiner } from './services/analysis/llm-refine.js';
import { aiProviderReadiness } from './services/analysis/llm-readiness.js';
import { createWriteBack } from './services/writeback/write-back.js';
import { publishMailChange } from './services/writeback/mail-events.js';
import { resumeWriteBack } from './services/writeback/message-actions.js';

export type Role = 'serve' | 'web' | 'worker';

export class ModeError extends Error {
  readonly code = 'MODE_UNSUPPORTED';
}

export interface Runtime {
  config: Config;
  database: DatabaseHandle;
  readiness: ReadinessRegistry;
  logger: Logger;
  services: Services;
  /** Envelope encryption with this process's master key ring; reload it on SIGHUP. */
  crypto: Crypto;
  /** The job queue; `serve` and `worker` also run the job loop and the scheduler. */
  jobs: JobsRuntime;
  /** Mail accounts and the per-account IMAP connection pool (sync borrows connections from it). */
  accounts: AccountsService;
  /** Queues an analysis run for each of the user's accounts (the user's analyser signals changed). */
  requestAnalysis(userId: string): Promise<void>;
  /** Seals instance-level secrets (LLM provider API keys) with a key derived from the key canary. */
  instanceSealer: InstanceSealer;
  close(): Promise<void>;
}

/**
 * Opens what every long-running process needs, enforcing the three supported modes:
 * SQLite + embedded queue (one `serve` only), PostgreSQL + embedded queue, PostgreSQL + BullMQ.
 */
export async function openRuntime(config: Config, role: Role, logger: Logger): Promise<Runtime> {
  if (config.database.dialect === 'sqlite' && role !== 'serve') {
    throw new ModeError(
      `\`mailhelper ${role}\` needs PostgreSQL (DATABASE_URL=postgres://…); with SQLite run \`mailhelper serve\`, which does everything in one process`,
    );
  }
  // The key ring loads first: a missing or broken key stops the start before anything is touched.
  const keys = await loadConfiguredKeys(config, logger, { mayGenerate: role === 'serve' });
  let lock: InstanceLock | null = null;
  if (config.database.dialect === 'sqlite') lock = acquireInstanceLock(config.dataDir);

  const database = createDatabase({
    ...config.database,
    ...(config.database.sqliteCheckpointWorker
      ? { backgroundCheckpoints: { onError: (err: Error) => logger.warn({ reason: err.message }, 'SQLite checkpoints are back inside COMMIT: the checkpoint worker failed') } }
      : {}),
  });
  try {
    if (role === 'serve') {
      const applied = await migrateUp(database.db, database.dialect);
      if (applied.length > 0) logger.info({ migrations: applied }, 'applied database migrations');
    } else {
      await assertSchemaCurrent(database.db, database.dialect);
    }
  } catch (err) {
    await database.close();
    lock?.release();
    throw err;
  }

  const readiness = new ReadinessRegistry();
  readiness.register({
    name: 'database',
    check: async () => {
      await sql`select 1`.execute(database.db);
    },
  });
  readiness.register({ name: 'migrations', check: () => assertSchemaCurrent(database.db, database.dialect) });
  const crypto = await openCrypto(keys, database.db, logger);
  readiness.register({ name: 'keys', check: () => crypto.checkCanary() });
  const instanceSealer = createInstanceSealer({ ring: keys, db: database.db });
  const aiProviders = createAiProvidersService({ db: database.db, sealer: instanceSealer, now: Date.now });
  // One informational entry per LLM provider: reported, never making the instance unready.
  readiness.registerSource(aiProviderReadiness(aiProviders));

  const services = createServices({ db: database.db, config, sealer: crypto, onUserCreated: async (id) => void (await crypto.ensureUserKey(id)) });

  // Accounts and jobs need each other (deleting cancels jobs; sync borrows connections): bind late.
  let jobs: JobsRuntime | undefined;
  const accounts = createAccountsService({
    db: database.db,
    config,
    crypto,
    throttle: services.throttle,
    jobs: { cancelKey: (key, userId) => createKeyedCanceller({ db: database.db, queue: jobs!.queue }).cancelKey(key, userId) },
  });
  const parsePool = role === 'web' ? null : createParsePool();
  const accountSync = createAccountSync({
    db: database.db,
    crypto,
    connections: accounts.imap,
    folders: { refresh: (userId, accountId, client) => refreshFolders({ db: database.db, crypto }, userId, accountId, client as ImapFlow) },
    store: createSyncStore({ parsePool: parsePool ?? undefined, maxMessageBytes: config.sync.maxMessageBytes, now: Date.now }),
    options: { now: Date.now, flagCheckIntervalMs: config.sync.flagCheckMinutes * 60_000, batchSize: config.sync.batchSize, batchBytes: config.sync.batchBytes, maxMessageBytes: config.sync.maxMessageBytes },
    crash: createCrashPoints(config.crashAt),
    onStored: async (userId, accountId) => void (await jobs?.queue.enqueue(ANALYSIS_RUN, { accountId }, { userId, key: analysisKey(accountId), lane: 'bulk' })),
  });
  const writeBack = createWriteBack({
    db: database.db,
    crypto,
    connections: accounts.imap,
    now: Date.now,
    logger: logger.child({ part: 'write-back' }),
    onChanged: async (change) => void (jobs ? await publishMailChange(jobs.signals, change) : undefined),
  });
  try {
    // After a sync, operations left pending by a failed write-back job get a new job.
    const afterSync = async (userId: string, accountId: string) => void (jobs && (await resumeWriteBack(database.db, jobs.queue, userId, accountId)));
    jobs = await openJobs({ config, database, logger, role, handlers: { accountSync, crypto, writeBack, afterSync, llmCacheRetentionDays: config.analysis.llmCacheRetentionDays, refine: createLlmRefiner({ db: database.db, crypto, providers: aiProviders, now: Date.now }) }, schedules: () => accountSchedules(database.db) });
  } catch (err) {
    await accounts.close();
    await parsePool?.close();
    await database.close();
    lock?.release();
    throw err;
  }
  const openedJobs = jobs;
  readiness.register({ name: 'queue', check: () => openedJobs.check() });

  return {
    config,
    database,
    readiness,
    logger,
    services,
    crypto,
    jobs: openedJobs,
    accounts,
    requestAnalysis: (userId: string) => queueAnalysisRuns(database.db, openedJobs.queue, userId),
    instanceSealer,
    async close() {
      // Running jobs get the shutdown grace period to finish; the rest go back to the queue.
      await openedJobs.close(config.shutdownGraceSeconds * 1000);
      await accounts.close();
      await parsePool?.close();
      await database.close();
      lock?.release();
    },
  };
}
