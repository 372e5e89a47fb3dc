/**
 * One measured run of bench/sync.ts, in its own process so its peak RSS is its own:
 *   product  the product's account sync (wired as src/runtime.ts wires it), then a second, unchanged sync through the counting proxy
 *   bare     imapflow fetching every full source, nothing else
 *   naive    fetch + postal-mime + insert into one plain table (the loop a developer would write first)
 * Reads its task from BENCH_TASK (JSON) and prints one line `RESULT {json}`.
 */
import { X509Certificate } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { sql, type Kysely } from 'kysely';
import PostalMime from 'postal-mime';
import { loadConfig } from '../src/config/index.js';
import { createCrypto } from '../src/crypto/crypto.js';
import { generateMasterKey } from '../src/crypto/keyring.js';
import { staticMasterKeys } from '../src/crypto/master-keys.js';
import type { DatabaseHandle } from '../src/db/database.js';
import { newId } from '../src/db/ids.js';
import type { Database, Dialect } from '../src/db/schema.js';
import { acquireLease, releaseLease } from '../src/jobs/leases.js';
import { refreshFolders } from '../src/mail/imap/folders.js';
import { createParsePool } from '../src/mail/mime/parse-pool.js';
import { createAccountInput, updateAccountInput } from '../src/services/account-input.js';
import { createAccountsService } from '../src/services/accounts.js';
import { createAccountSync } from '../src/services/sync/account-sync.js';
import type { SyncStore } from '../src/services/sync/folder-sync.js';
import { createSyncStore } from '../src/services/sync/store-adapter.js';
import { startImapProxy } from '../test/support/imap-proxy.js';
import { checkpointWorkerFromEnv, withDatabase } from './database.js';

export interface Task {
  kind: 'product' | 'bare' | 'naive';
  dialect: Dialect;
  host: string;
  tlsPort: number;
  user: string;
  password: string;
  certPem: string;
  keyPem: string;
}

export interface RunResult {
  seconds: number;
  /** CPU seconds of this process (all its threads): less sensitive to other load on the machine than wall time. */
  cpu: number;
  messages: number;
  bytes: number;
  maxRssMb: number;
  tls?: string;
  /** product only */
  phases?: { prepare: number; write: number; mainBusy: number };
  second?: { seconds: number; commands: Record<string, number>; fetched: number; maxRssMb: number };
}

const task = JSON.parse(process.env.BENCH_TASK ?? '{}') as Task;
/** BENCH_TRACE=1: phase times of each product sync on stderr. */
const trace = (what: string, since: number) => {
  if (process.env.BENCH_TRACE) process.stderr.write(`    [trace] ${what}: ${(performance.now() - since).toFixed(1)} ms\n`);
};
const cpuSeconds = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
};
const maxRssMb = () => process.resourceUsage().maxRSS / 1024;
const SKIP = /^(trash|junk|spam)$/i;

async function connect(): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: task.host, port: task.tlsPort, secure: true, tls: { ca: [task.certPem] },
    auth: { user: task.user, pass: task.password }, logger: false,
  });
  await client.connect();
  return client;
}

/** The folders the product syncs by default: all but Trash and Junk. */
async function syncedFolders(client: ImapFlow): Promise<string[]> {
  const list = await client.list();
  return list.filter((f) => !f.flags.has('\\Noselect') && !['\\Trash', '\\Junk'].includes(f.specialUse ?? '') && !SKIP.test(f.name)).map((f) => f.path);
}

function tlsOf(client: ImapFlow): string {
  const socket = (client as unknown as { socket?: { getProtocol?(): string | null; getCipher?(): { name: string } } }).socket;
  return `${socket?.getProtocol?.() ?? '?'} ${socket?.getCipher?.()?.name ?? '?'}`;
}

async function bare(): Promise<RunResult> {
  const start = performance.now();
  const cpu0 = cpuSeconds();
  const client = await connect();
  let messages = 0;
  let bytes = 0;
  for (const folder of await syncedFolders(client)) {
    const lock = await client.getMailboxLock(folder, { readOnly: true });
    try {
      for await (const m of client.fetch('1:*', { uid: true, source: true })) {
        messages++;
        bytes += m.source?.length ?? 0;
      }
    } finally {
      lock.release();
    }
  }
  const tls = tlsOf(client);
  await client.logout();
  return { seconds: (performance.now() - start) / 1000, cpu: cpuSeconds() - cpu0, messages, bytes, maxRssMb: maxRssMb(), tls };
}

// The naive loop: fetch, parse, insert the raw source and a few plaintext fields, 50 rows per transaction.
async function naive(h: DatabaseHandle): Promise<RunResult> {
  const blob = h.dialect === 'postgres' ? sql`bytea` : sql`blob`;
  await sql`create table naive (id text primary key, folder text, uid integer, subject text, sender text, body text, raw ${blob})`.execute(h.db);
  const db = h.db as Kysely<any>;
  const start = performance.now();
  const cpu0 = cpuSeconds();
  const client = await connect();
  let messages = 0;
  let bytes = 0;
  const flush = (rows: Array<Record<string, unknown>>) =>
    db.transaction().execute(async (trx) => {
      for (const r of rows) await trx.insertInto('naive').values(r).execute();
    });
  for (const folder of await syncedFolders(client)) {
    const lock = await client.getMailboxLock(folder, { readOnly: true });
    try {
      let rows: Array<Record<string, unknown>> = [];
      for await (const m of client.fetch('1:*', { uid: true, source: true })) {
        const p = await PostalMime.parse(m.source!);
        rows.push({ id: newId(), folder, uid: m.uid, subject: p.subject ?? '', sender: p.from?.address ?? '', body: p.text ?? '', raw: m.source });
        messages++;
        bytes += m.source!.length;
        if (rows.length === 50) {
          await flush(rows);
          rows = [];
        }
      }
      if (rows.length) await flush(rows);
    } finally {
      lock.release();
    }
  }
  await client.logout();
  return { seconds: (performance.now() - start) / 1000, cpu: cpuSeconds() - cpu0, messages, bytes, maxRssMb: maxRssMb() };
}

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

async function product(h: DatabaseHandle, url: string): Promise<RunResult> {
  // `mailhelper serve` syncs in a process that also holds the runtime's and the HTTP app's module
  // graph (src/cli/serve.ts loads both); hold the same, or the baseline would be ≈ 35 MB too low.
  await Promise.all([import('../src/runtime.js'), import('../src/http/app.js')]);
  // SYNC_BATCH_SIZE / SYNC_BATCH_MB from the environment reach the product as they would in production.
  const tuning = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^SYNC_BATCH_(SIZE|MB)$/.test(k)));
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: url, ALLOW_PRIVATE_MAIL_HOSTS: '1', ...tuning });
  const { id: keyId, key } = generateMasterKey();
  const crypto = createCrypto({ ring: staticMasterKeys({ keys: new Map([[keyId, key]]), activeId: keyId }), db: h.db });
  const userId = newId();
  const now = Date.now();
  await h.db.insertInto('users').values({ id: userId, username: 'bench', role: 'user', password_hash: 'x', is_disabled: 0, language: 'en', created_at: now, updated_at: now, password_changed_at: now }).execute();
  await crypto.ensureUserKey(userId);
  const accounts = createAccountsService({ db: h.db, config, crypto, throttle: { hit: async () => {} }, jobs: null });
  const fingerprintSha256 = new X509Certificate(task.certPem).fingerprint256;
  const account = await accounts.create(userId, '127.0.0.1', createAccountInput.parse({
    name: 'Bench',
    imap: { host: task.host, port: task.tlsPort, security: 'tls', user: task.user, password: task.password, tls: { fingerprintSha256 } },
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
  const proxy = await startImapProxy({ upstream: { host: task.host, port: task.tlsPort, tls: true }, listenTls: { key: task.keyPem, cert: task.certPem } });
  try {
    if (process.env.BENCH_TRACE) {
      const m = process.memoryUsage();
      const mb = (n: number) => (n / 1048576).toFixed(0);
      process.stderr.write(`    [trace] before the first sync: rss ${mb(m.rss)} MB (heap used ${mb(m.heapUsed)}, heap total ${mb(m.heapTotal)}, external ${mb(m.external)}), peak so far ${maxRssMb().toFixed(0)} MB\n`);
    }
    const first = await run();
    phases.mainBusy = first.mainBusy;
    if (first.r.foldersFailed > 0) throw new Error(`${first.r.foldersFailed} folders failed`);
    const rssFirst = maxRssMb();
    const bytes = Number((await sql<{ n: number | string }>`select coalesce(sum(size), 0) as n from message_copies`.execute(h.db)).rows[0]!.n);
    // The second sync goes through the counting proxy (same certificate, so the pin holds): a fresh
    // connection, as a scheduled sync after the pool's idle timeout would open.
    await accounts.update(userId, '127.0.0.1', account.id, updateAccountInput.parse({ imap: { port: proxy.port } }));
    proxy.reset();
    const second = await run();
    return {
      seconds: first.seconds, cpu: first.cpu, messages: first.r.stored, bytes, maxRssMb: rssFirst, phases,
      second: { seconds: second.seconds, commands: proxy.totals(), fetched: second.r.fetched, maxRssMb: maxRssMb() },
    };
  } finally {
    await proxy.close();
    await accounts.close();
    await parsePool.close();
  }
}

async function main() {
  if (process.env.BENCH_TRACE) {
    // Peak of each memory component, sampled: what makes up the peak RSS.
    const peak: Record<string, number> = {};
    const sample = () => {
      for (const [k, v] of Object.entries(process.memoryUsage())) peak[k] = Math.max(peak[k] ?? 0, v / 1048576);
    };
    setInterval(sample, 20).unref();
    process.on('exit', () => process.stderr.write(`    [trace] ${task.kind} memory peaks (MB): ${Object.entries(peak).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}\n`));
  }
  let result: RunResult;
  if (task.kind === 'bare') result = await bare();
  else if (task.kind === 'naive') result = await withDatabase(task.dialect, (h) => naive(h), { migrate: false });
  else result = await withDatabase(task.dialect, (h, url) => product(h, url), { backgroundCheckpoints: checkpointWorkerFromEnv() });
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
