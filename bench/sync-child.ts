/**
 * One measured run of bench/sync.ts, in its own process so its peak RSS is its own:
 *   product  the product's account sync (wired as src/runtime.ts wires it), then a second, unchanged sync through the counting proxy
 *   bare     imapflow fetching every full source, nothing else
 *   naive    fetch + postal-mime + insert into one plain table (the loop a developer would write first)
 * Reads its task from BENCH_TASK (JSON) and prints one line `RESULT {json}`.
 */
import { ImapFlow } from 'imapflow';
import { sql, type Kysely } from 'kysely';
import PostalMime from 'postal-mime';
import type { DatabaseHandle } from '../src/db/database.js';
import { newId } from '../src/db/ids.js';
import type { Dialect } from '../src/db/schema.js';
import { updateAccountInput } from '../src/services/account-input.js';
import { startImapProxy } from '../test/support/imap-proxy.js';
import { checkpointWorkerFromEnv, withDatabase } from './database.js';
import { cpuSeconds, maxRssMb, wireProduct } from './product.js';

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

async function product(h: DatabaseHandle, url: string): Promise<RunResult> {
  const imap = { host: task.host, port: task.tlsPort, user: task.user, password: task.password, certPem: task.certPem };
  const { userId, account, accounts, parsePool, phases, run } = await wireProduct(h, url, imap, trace);
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
