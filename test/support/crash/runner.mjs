// One sync run of one account, wired from dist/ exactly as src/runtime.ts wires a worker's account
// sync (config from the environment, master key, IMAP pool, parse pool, crash points). The crash
// suite starts it with MAILHELPER_CRASH_AT and expects it to die by SIGKILL; without a crash point
// it syncs to the end and prints `RESULT {json}`.
//   CRASH_USER_ID, CRASH_ACCOUNT_ID, DATABASE_URL, MASTER_KEY, MAILHELPER_CRASH_AT, SYNC_BATCH_SIZE …
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist');
const load = (p) => import(path.join(dist, p));

const { loadConfig } = await load('config/index.js');
const { createLogger } = await load('observability/logger.js');
const { loadConfiguredKeys, openCrypto } = await load('crypto/open-crypto.js');
const { createDatabase } = await load('db/database.js');
const { createServices } = await load('services/index.js');
const { createAccountsService } = await load('services/accounts.js');
const { refreshFolders } = await load('mail/imap/folders.js');
const { createParsePool } = await load('mail/mime/parse-pool.js');
const { createAccountSync } = await load('services/sync/account-sync.js');
const { createCrashPoints } = await load('services/sync/crash-points.js');
const { createSyncStore } = await load('services/sync/store-adapter.js');
const { acquireLease, releaseLease, renewLease } = await load('jobs/leases.js');

const userId = process.env.CRASH_USER_ID;
const accountId = process.env.CRASH_ACCOUNT_ID;
const config = loadConfig(process.env);
const logger = createLogger('silent');
const keys = await loadConfiguredKeys(config, logger, { mayGenerate: false });
const database = createDatabase({ ...config.database, ...(config.database.sqliteCheckpointWorker ? { backgroundCheckpoints: {} } : {}) });
const crypto = await openCrypto(keys, database.db, logger);
const services = createServices({ db: database.db, config, sealer: crypto });
const accounts = createAccountsService({ db: database.db, config, crypto, throttle: services.throttle, jobs: null });
const parsePool = createParsePool();
const accountSync = createAccountSync({
  db: database.db,
  crypto,
  connections: accounts.imap,
  folders: { refresh: (u, a, client) => refreshFolders({ db: database.db, crypto }, u, a, client) },
  store: createSyncStore({ parsePool, maxMessageBytes: config.sync.maxMessageBytes, now: Date.now }),
  options: { now: Date.now, flagCheckIntervalMs: config.sync.flagCheckMinutes * 60_000, batchSize: config.sync.batchSize, batchBytes: config.sync.batchBytes, maxMessageBytes: config.sync.maxMessageBytes },
  crash: createCrashPoints(config.crashAt),
});

// The killed predecessor's lease expires after LEASE_MS (it cannot release it): wait for it, as a job would.
const LEASE_MS = 1000;
let lease = null;
for (const deadline = Date.now() + 30_000; !lease; ) {
  lease = await acquireLease(database.db, accountId, `crash-runner-${process.pid}`, LEASE_MS, Date.now());
  if (!lease) {
    if (Date.now() > deadline) throw new Error('the account lease never came free');
    await new Promise((r) => setTimeout(r, 100));
  }
}
const renew = setInterval(() => void renewLease(database.db, lease, LEASE_MS, Date.now()).catch(() => {}), 250);
try {
  const result = await accountSync.run(userId, accountId, { lease, signal: new AbortController().signal, progress: async () => {} });
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
} finally {
  clearInterval(renew);
  await releaseLease(database.db, lease);
  await accounts.close();
  await parsePool.close();
  await database.close();
}
