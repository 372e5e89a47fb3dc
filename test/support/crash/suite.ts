import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { loadConfig } from '../../../src/config/index.js';
import { loadConfiguredKeys, openCrypto } from '../../../src/crypto/open-crypto.js';
import { newId } from '../../../src/db/ids.js';
import type { Database, Dialect } from '../../../src/db/schema.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createAccountInput } from '../../../src/services/account-input.js';
import { createAccountsService } from '../../../src/services/accounts.js';
import { createMessageReader } from '../../../src/services/messages/message-reader.js';
import { CRASH_POINTS, type CrashPoint } from '../../../src/services/sync/crash-points.js';
import type { Dovecot } from '../dovecot.js';
import { createRng } from '../mail/random.js';

/**
 * The crash suite (issue 10.3): the production account sync runs in a child process
 * (test/support/crash/runner.mjs, wired from dist/ like a worker) and is killed with SIGKILL at
 * each named crash point and at random points (crash point + batch number) drawn from a seed; then
 * it is restarted until it completes, and the local copy must equal the mailbox: the UID set of
 * every synced folder, the flags of every copy, the SHA-256 of every source, no duplicate rows.
 */
export interface CrashSuiteOptions {
  dialect: Dialect;
  /** A migrated, empty database; `db` is the caller's handle on it. */
  databaseUrl: string;
  db: Kysely<Database>;
  server: Dovecot;
  seed: number;
  /** Messages in the mailbox (generated with the seed, spread over six folders). */
  messages: number;
  randomPoints: number;
  batchSize: number;
  log?: (line: string) => void;
}

export interface CrashRun {
  label: string;
  /** How the child ended: 'SIGKILL' when the crash point fired, 'exit 0' when it finished. */
  ended: string;
  copiesAfter: number;
}

export interface CrashSuiteReport {
  seed: number;
  runs: CrashRun[];
  messagesOnServer: number;
  /** Every difference found; empty when the local copy equals the mailbox. */
  problems: string[];
  /** The run after completion: what it fetched (0 when nothing was left). */
  fetchedAfterCompletion: number;
}

const PASSWORD = 'crash-imap-password';
const SKIP = /^(trash|junk|spam)$/i;
/** Points that fire once per batch (`after-commit-before-state` fires once per folder). */
const PER_BATCH: CrashPoint[] = ['after-fetch', 'after-prepare', 'mid-transaction', 'after-commit'];

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

/**
 * A random crash point: a per-batch point and the batch (its occurrence in this run) where it
 * fires. The batch is drawn from what is left to sync, so that the points still to come fit in: the
 * crashes land all through the sync and each one is reached. (`after-commit-before-state` is not
 * drawn: it completes a whole folder first, which could leave too little for the points after it;
 * the named round covers it.)
 */
export function randomCrashPoint(rng: ReturnType<typeof createRng>, batchesLeft: number, pointsLeft: number): string {
  return `${rng.pick(PER_BATCH)}#${rng.int(1, Math.max(1, Math.floor(batchesLeft / (pointsLeft + 1))))}`;
}

export async function runCrashSuite(o: CrashSuiteOptions): Promise<CrashSuiteReport> {
  const log = o.log ?? (() => {});
  const masterKey = randomBytes(32).toString('base64');
  // The SQLite runs checkpoint on the worker thread (SQLITE_CHECKPOINT_WORKER), so crashes hit that path too.
  const env = { NODE_ENV: 'development', LOG_LEVEL: 'silent', DATABASE_URL: o.databaseUrl, MASTER_KEY: masterKey, ALLOW_PRIVATE_MAIL_HOSTS: '1', SYNC_BATCH_SIZE: String(o.batchSize), SQLITE_CHECKPOINT_WORKER: 'true' };
  const config = loadConfig(env);
  const logger = createLogger('silent');
  const crypto = await openCrypto(await loadConfiguredKeys(config, logger, { mayGenerate: false }), o.db, logger);

  // The mailbox and the account.
  const user = o.server.createUser(`crash${o.seed % 100_000}${o.dialect[0]}${randomBytes(2).toString('hex')}`, PASSWORD);
  const entries = o.server.fillGenerated(user, { seed: o.seed, count: o.messages });
  const userId = newId();
  const now = Date.now();
  await o.db.insertInto('users').values({ id: userId, username: `crash_${userId.slice(-8)}`, role: 'user', password_hash: 'x', is_disabled: 0, language: 'en', created_at: now, updated_at: now, password_changed_at: now }).execute();
  await crypto.ensureUserKey(userId);
  const accounts = createAccountsService({ db: o.db, config, crypto, throttle: { hit: async () => {} }, jobs: null });
  const account = await accounts.create(userId, '127.0.0.1', createAccountInput.parse({
    name: 'Crash',
    imap: { host: o.server.host, port: o.server.port, security: 'none', user: user.name, password: PASSWORD },
    initialWindow: { sinceDays: 36_500 },
  }));
  await accounts.close();

  const folders = new Set(entries.map((e) => e.folder).filter((f) => !SKIP.test(f)));
  const synced = entries.filter((e) => folders.has(e.folder)).length;
  log(`crash suite [${o.dialect}] seed ${o.seed}: ${synced} messages in ${folders.size} folders, batches of ${o.batchSize}; ${CRASH_POINTS.length} named points, ${o.randomPoints} random`);

  const runner = path.join(repoRoot(), 'test/support/crash/runner.mjs');
  const runChild = (crashAt: string | null) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [runner], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, ...env, CRASH_USER_ID: userId, CRASH_ACCOUNT_ID: account.id, ...(crashAt ? { MAILHELPER_CRASH_AT: crashAt } : {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve({ code, signal, output }));
    });
  const copyCount = async () => Number((await o.db.selectFrom('message_copies').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', account.id).executeTakeFirstOrThrow()).n);

  const problems: string[] = [];
  const runs: CrashRun[] = [];
  const crashAt = async (point: string) => {
    const r = await runChild(point);
    const ended = r.signal ?? `exit ${r.code}`;
    runs.push({ label: point, ended, copiesAfter: await copyCount() });
    log(`  ${point.padEnd(30)} ${ended.padEnd(8)} ${runs.at(-1)!.copiesAfter} copies stored`);
    if (r.signal !== 'SIGKILL') problems.push(`crash point ${point} did not fire (${ended}): ${r.output.trim().slice(-500)}`);
    problems.push(...(await duplicateRows(o.db, account.id)).map((p) => `after ${point}: ${p}`));
  };
  for (const point of CRASH_POINTS) await crashAt(point);
  const rng = createRng('crash-suite', o.seed);
  for (let i = 0; i < o.randomPoints; i++) {
    const batchesLeft = Math.floor((synced - (await copyCount())) / o.batchSize);
    await crashAt(randomCrashPoint(rng, batchesLeft, o.randomPoints - i));
  }
  const last = await runChild(null);
  runs.push({ label: 'complete', ended: last.signal ?? `exit ${last.code}`, copiesAfter: await copyCount() });
  log(`  ${'complete'.padEnd(30)} ${runs.at(-1)!.ended.padEnd(8)} ${runs.at(-1)!.copiesAfter} copies stored`);
  if (last.code !== 0) problems.push(`the completing run failed: ${last.output.trim().slice(-800)}`);
  const again = await runChild(null);
  const result = /RESULT (.*)/.exec(again.output);
  const fetchedAfterCompletion = result ? (JSON.parse(result[1]!) as { fetched: number }).fetched : -1;
  if (again.code !== 0) problems.push(`the run after completion failed: ${again.output.trim().slice(-800)}`);

  problems.push(...(await compareWithMailbox(o, user, userId, account.id, crypto)));
  problems.push(...(await duplicateRows(o.db, account.id)));
  log(problems.length === 0 ? `  local copy equals the mailbox (${synced} messages)` : `  ${problems.length} problem(s):\n    ${problems.slice(0, 20).join('\n    ')}`);
  return { seed: o.seed, runs, messagesOnServer: synced, problems, fetchedAfterCompletion };
}

/** Rows that must never repeat: a copy per (folder, UIDVALIDITY, UID), a chunk per (message, seq), a message per source. */
async function duplicateRows(db: Kysely<Database>, accountId: string): Promise<string[]> {
  const out: string[] = [];
  const copies = await db
    .selectFrom('message_copies')
    .select(['folder_id', 'uidvalidity', 'uid', (eb) => eb.fn.countAll().as('n')])
    .where('account_id', '=', accountId)
    .groupBy(['folder_id', 'uidvalidity', 'uid'])
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  if (copies.length) out.push(`${copies.length} duplicate copies`);
  const chunks = await db
    .selectFrom('message_chunks')
    .innerJoin('messages', 'messages.id', 'message_chunks.message_id')
    .select(['message_chunks.message_id', 'message_chunks.seq', (eb) => eb.fn.countAll().as('n')])
    .where('messages.account_id', '=', accountId)
    .groupBy(['message_chunks.message_id', 'message_chunks.seq'])
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  if (chunks.length) out.push(`${chunks.length} duplicate chunk rows`);
  const orphans = await db
    .selectFrom('messages')
    .select('id')
    .where('account_id', '=', accountId)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('message_copies').select('message_copies.id').whereRef('message_copies.message_id', '=', 'messages.id'))))
    .execute();
  if (orphans.length) out.push(`${orphans.length} messages without a copy`);
  return out;
}

async function compareWithMailbox(
  o: CrashSuiteOptions,
  user: Parameters<Dovecot['connect']>[0],
  userId: string,
  accountId: string,
  crypto: Awaited<ReturnType<typeof openCrypto>>,
): Promise<string[]> {
  const problems: string[] = [];
  const cipher = await crypto.forUser(userId);
  const reader = createMessageReader({ db: o.db, crypto });
  const folderRows = await o.db.selectFrom('folders').select(['id', 'path', 'is_synced']).where('account_id', '=', accountId).where('is_gone', '=', 0).execute();
  const local = new Map(folderRows.map((f) => [cipher.openText('folder.path.v1', f.id, f.path), f]));
  const client = await o.server.connect(user);
  const shaSeen = new Map<string, string>(); // source SHA-256 → message id
  try {
    for (const box of await client.list()) {
      if (box.flags.has('\\Noselect') || SKIP.test(box.path)) continue;
      const folder = local.get(box.path);
      if (!folder || folder.is_synced !== 1) {
        problems.push(`${box.path}: not synced`);
        continue;
      }
      const server = new Map<number, { flags: string; sha: string }>();
      const lock = await client.getMailboxLock(box.path, { readOnly: true });
      try {
        for await (const m of client.fetch('1:*', { uid: true, flags: true, source: true })) {
          const flags = [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort().join(' ');
          server.set(m.uid, { flags, sha: createHash('sha256').update(m.source!).digest('hex') });
        }
      } finally {
        lock.release();
      }
      const copies = await o.db.selectFrom('message_copies').select(['uid', 'flags', 'message_id']).where('folder_id', '=', folder.id).execute();
      const localUids = new Set(copies.map((c) => c.uid));
      const missing = [...server.keys()].filter((u) => !localUids.has(u));
      const extra = [...localUids].filter((u) => !server.has(u));
      if (missing.length) problems.push(`${box.path}: ${missing.length} UIDs missing locally (${missing.slice(0, 5).join(',')}…)`);
      if (extra.length) problems.push(`${box.path}: ${extra.length} UIDs not on the server (${extra.slice(0, 5).join(',')}…)`);
      for (const c of copies) {
        const s = server.get(c.uid);
        if (!s) continue;
        if (c.flags !== s.flags) problems.push(`${box.path} UID ${c.uid}: flags "${c.flags}" locally, "${s.flags}" on the server`);
        const chunks: Buffer[] = [];
        for await (const b of (await reader.openSource(userId, c.message_id)).chunks) chunks.push(b);
        const sha = createHash('sha256').update(Buffer.concat(chunks)).digest('hex');
        if (sha !== s.sha) problems.push(`${box.path} UID ${c.uid}: source SHA-256 differs`);
        const other = shaSeen.get(s.sha);
        if (other && other !== c.message_id) problems.push(`${box.path} UID ${c.uid}: the same source is stored as two messages`);
        shaSeen.set(s.sha, c.message_id);
      }
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  const messages = Number((await o.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow()).n);
  if (messages !== shaSeen.size) problems.push(`${messages} message rows for ${shaSeen.size} distinct sources`);
  return problems;
}
