/**
 * The product's account sync wired as src/runtime.ts wires it, for the benches: a user with a data
 * key, an IMAPS account pinned to the server's certificate, the parse pool and the sync store.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImapFlow } from 'imapflow';
import { loadConfig } from '../src/config/index.js';
import { createCrypto, type Crypto } from '../src/crypto/crypto.js';
import { generateMasterKey } from '../src/crypto/keyring.js';
import { staticMasterKeys } from '../src/crypto/master-keys.js';
import type { DatabaseHandle } from '../src/db/database.js';
import { newId } from '../src/db/ids.js';
import { acquireLease, releaseLease } from '../src/jobs/leases.js';
import { refreshFolders } from '../src/mail/imap/folders.js';
import { createParsePool } from '../src/mail/mime/parse-pool.js';
import { createAccountInput } from '../src/services/account-input.js';
import { createAccountsService } from '../src/services/accounts.js';
import { createAccountSync } from '../src/services/sync/account-sync.js';
import type { SyncStore } from '../src/services/sync/folder-sync.js';
import { createSyncStore } from '../src/services/sync/store-adapter.js';

export interface ImapTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  certPem: string;
}

export const cpuSeconds = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
};
export const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

/**
 * Times the store's two halves: prepare (parse, hash, seal: from a batch's first message handed
 * over until it is ready) and write (the batch transaction's work).
 */
function timedStore(store: SyncStore, phases: { prepare: number; write: number }): SyncStore {
  const timed = <A extends unknown[], R>(key: 'prepare' | 'write', fn: (...a: A) => Promise<R>, since?: number) => async (...a: A): Promise<R> => {
    const t = since ?? performance.now();
    try {
      return await fn(...a);
    } finally {
      phases[key] += (performance.now() - t) / 1000;
    }
  };
  return {
    ...store,
    begin(...args) {
      const batch = store.begin(...args);
      const t = performance.now();
      return { add: batch.add, finish: timed('prepare', batch.finish, t) };
    },
    write: timed('write', store.write),
  };
}

export async function wireProduct(h: DatabaseHandle, url: string, imap: ImapTarget, trace: (what: string, since: number) => void = () => {}, modules: 'serve' | 'worker' = 'serve') {
  // `mailhelper serve` syncs in a process that also holds the runtime's and the HTTP app's module
  // graph (src/cli/serve.ts loads both; `worker` only the runtime's); hold the same, or the baseline would be too low.
  await Promise.all([import('../src/runtime.js'), modules === 'serve' ? import('../src/http/app.js') : null]);
  // SYNC_BATCH_SIZE / SYNC_BATCH_MB from the environment reach the product as they would in production.
  const tuning = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^SYNC_BATCH_(SIZE|MB)$/.test(k)));
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: url, ALLOW_PRIVATE_MAIL_HOSTS: '1', ...tuning });
  const { id: keyId, key } = generateMasterKey();
  const crypto: Crypto = createCrypto({ ring: staticMasterKeys({ keys: new Map([[keyId, key]]), activeId: keyId }), db: h.db });
  const userId = newId();
  const now = Date.now();
  await h.db.insertInto('users').values({ id: userId, username: 'bench', role: 'user', password_hash: 'x', is_disabled: 0, language: 'en', created_at: now, updated_at: now, password_changed_at: now }).execute();
  await crypto.ensureUserKey(userId);
  const accounts = createAccountsService({ db: h.db, config, crypto, throttle: { hit: async () => {} }, jobs: null });
  const fingerprintSha256 = new X509Certificate(imap.certPem).fingerprint256;
  const account = await accounts.create(userId, '127.0.0.1', createAccountInput.parse({
    name: 'Bench',
    imap: { host: imap.host, port: imap.port, security: 'tls', user: imap.user, password: imap.password, tls: { fingerprintSha256 } },
    initialWindow: { sinceDays: 36_500 },
  }));
  const parsePool = createParsePool({
    ...(process.env.BENCH_NO_WORKER ? { thresholdBytes: Number.MAX_SAFE_INTEGER } : {}),
    ...(process.env.BENCH_PARSE_YOUNG_MB ? { youngGenerationMb: Number(process.env.BENCH_PARSE_YOUNG_MB) } : {}),
  });
  const phases = { prepare: 0, write: 0, mainBusy: 0 };
  const sync = createAccountSync({
    db: h.db,
    crypto,
    connections: {
      withConnection: (accountId, fn, options) => {
        const t = performance.now();
        return accounts.imap.withConnection(accountId, (client) => (trace('connection', t), fn(client)), options);
      },
    },
    folders: {
      refresh: async (uid, accountId, client) => {
        const t = performance.now();
        const listed = await refreshFolders({ db: h.db, crypto }, uid, accountId, client as ImapFlow);
        trace('folder list', t);
        return listed;
      },
    },
    store: timedStore(createSyncStore({ parsePool, maxMessageBytes: config.sync.maxMessageBytes, now: Date.now }), phases),
    options: { now: Date.now, flagCheckIntervalMs: config.sync.flagCheckMinutes * 60_000, batchSize: config.sync.batchSize, batchBytes: config.sync.batchBytes, maxMessageBytes: config.sync.maxMessageBytes },
  });
  /** One account sync under its lease, as the sync job runs it. */
  const run = async () => {
    const lease = (await acquireLease(h.db, account.id, 'bench', 3_600_000, Date.now()))!;
    try {
      const t = performance.now();
      const cpu0 = cpuSeconds();
      const elu0 = performance.eventLoopUtilization();
      let last = t;
      const r = await sync.run(userId, account.id, {
        lease,
        signal: new AbortController().signal,
        progress: async (p) => {
          trace(`folder ${String(p.foldersDone)}/${String(p.foldersTotal)}`, last);
          last = performance.now();
        },
      });
      trace('whole run', t);
      return { r, seconds: (performance.now() - t) / 1000, cpu: cpuSeconds() - cpu0, mainBusy: performance.eventLoopUtilization(elu0).utilization };
    } finally {
      await releaseLease(h.db, lease);
    }
  };
  return { config, crypto, userId, account, accounts, parsePool, phases, run };
}

/** The environment variables and node flags of package.json's "start" script (`VAR=value … node --flag … bin/mailhelper.js serve`). */
export function startSettings(): { env: Record<string, string>; nodeFlags: string[] } {
  const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  const node = words.indexOf('node');
  if (node === -1) throw new Error('package.json "start" does not run node');
  const env = Object.fromEntries(words.slice(0, node).map((w) => w.split('=') as [string, string]));
  return { env, nodeFlags: words.slice(node + 1).filter((w) => w.startsWith('--')) };
}
