/**
 * Store bench: N messages of the committed corpus (seed 1, corpus size mix) stored through the
 * product's path (parse pool + prepare + one transaction per batch of 50) on SQLite and/or
 * PostgreSQL, against two baselines measured in the same run: parse-only (postal-mime) and a naive
 * loop (parse + insert the raw source and a few plaintext fields, one transaction per batch).
 *
 *   npm run bench:store -- [--quick] [--count N] [--dialect sqlite|postgres|both]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import PostalMime from 'postal-mime';
import { sql, type Kysely } from 'kysely';
import { createCrypto } from '../src/crypto/crypto.js';
import { generateMasterKey } from '../src/crypto/keyring.js';
import { staticMasterKeys } from '../src/crypto/master-keys.js';
import { createDatabase, type DatabaseHandle } from '../src/db/database.js';
import { newId } from '../src/db/ids.js';
import { migrateUp } from '../src/db/migrate.js';
import type { Database, Dialect } from '../src/db/schema.js';
import { createParsePool } from '../src/mail/mime/parse-pool.js';
import { prepareBatch } from '../src/services/sync/message-prepare.js';
import { storeBatch } from '../src/services/sync/message-store.js';
import { CORPUS, readCorpusChecksums } from '../test/support/mail/corpus.js';
import { generateMessages, type GeneratedMessage } from '../test/support/mail/generator.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const quick = flag('quick');
const count = Number(option('count') ?? (quick ? 300 : 2000));
const dialects: Dialect[] = option('dialect') === 'postgres' ? ['postgres'] : option('dialect') === 'both' ? ['sqlite', 'postgres'] : ['sqlite'];
const BATCH = 50;
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function main() {
  const messages = [...generateMessages({ seed: CORPUS.seed, count, sizeMix: CORPUS.sizeMix })];
  const committed = readCorpusChecksums();
  const mismatched = messages.filter((m) => committed[m.index]?.sha256 !== m.sha256).length;
  if (mismatched > 0) throw new Error(`${mismatched} messages differ from test/fixtures/corpus/checksums.tsv: the generator changed`);
  const bytes = messages.reduce((n, m) => n + m.source.length, 0);
  console.log(`corpus: first ${count} messages of the committed corpus (seed ${CORPUS.seed}), ${(bytes / 1e6).toFixed(1)} MB, checksums verified`);
  console.log(`machine: ${os.cpus().length} cores, node ${process.version}`);

  const t0 = performance.now();
  for (const m of messages) await PostalMime.parse(m.source);
  const parseOnly = (performance.now() - t0) / 1000;
  report('baseline parse-only (postal-mime)', parseOnly, bytes, null);

  for (const dialect of dialects) {
    const naive = await withDatabase(dialect, (h) => naiveLoop(h, messages));
    report(`baseline naive loop [${dialect}]`, naive, bytes, null);
    const product = await withDatabase(dialect, (h) => productLoop(h, messages));
    report(`product store [${dialect}]`, product, bytes, { 'parse-only': parseOnly, naive });
  }
}

function report(name: string, seconds: number, bytes: number, baselines: Record<string, number> | null) {
  const line = `${name.padEnd(38)} ${(count / seconds).toFixed(0).padStart(6)} msg/s ${(bytes / 1e6 / seconds).toFixed(1).padStart(7)} MB/s ${seconds.toFixed(2).padStart(7)} s`;
  const ratios = baselines ? Object.entries(baselines).map(([k, s]) => `${(s / seconds).toFixed(2)}x ${k}`).join(', ') : '';
  console.log(ratios ? `${line}   ratio: ${ratios}` : line);
}

async function withDatabase(dialect: Dialect, run: (h: DatabaseHandle) => Promise<number>): Promise<number> {
  const name = `mh_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  let handle: DatabaseHandle;
  let cleanup: () => Promise<void>;
  if (dialect === 'sqlite') {
    const file = path.join(os.tmpdir(), `${name}.db`);
    handle = createDatabase({ url: `sqlite:${file}`, dialect, sqlitePath: file, poolSize: 1 });
    cleanup = async () => {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    };
  } else {
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    handle = createDatabase({ url: url.toString(), dialect, sqlitePath: null, poolSize: 4 });
    cleanup = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  try {
    await migrateUp(handle.db, dialect);
    return await run(handle);
  } finally {
    await handle.close();
    await cleanup();
  }
}

async function admin(text: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function setup(db: Kysely<Database>) {
  const { id: keyId, key } = generateMasterKey();
  const crypto = createCrypto({ ring: staticMasterKeys({ keys: new Map([[keyId, key]]), activeId: keyId }), db });
  const userId = newId();
  const accountId = newId();
  const folderId = newId();
  const now = Date.now();
  await db.insertInto('users').values({ id: userId, username: 'bench', role: 'user', password_hash: 'x', is_disabled: 0, language: 'en', created_at: now, updated_at: now, password_changed_at: now }).execute();
  const cipher = await crypto.ensureUserKey(userId);
  const any = db as Kysely<any>;
  await any.insertInto('accounts').values({ id: accountId, user_id: userId, name: cipher.sealText('account.name.v1', accountId, 'b'), settings: cipher.sealText('account.settings.v1', accountId, '{}'), sync_interval_minutes: 5, initial_window_days: 90, initial_max_per_folder: 5000, created_at: now, updated_at: now }).execute();
  await any.insertInto('folders').values({ id: folderId, user_id: userId, account_id: accountId, path: cipher.sealText('folder.path.v1', folderId, 'INBOX'), path_hash: cipher.lookupHash('folder.path.v1', 'INBOX'), is_synced: 1, created_at: now, updated_at: now }).execute();
  return { cipher, userId, accountId, folderId };
}

async function productLoop(h: DatabaseHandle, messages: GeneratedMessage[]): Promise<number> {
  const { cipher, userId, accountId, folderId } = await setup(h.db);
  const pool = createParsePool({ workers: Math.max(1, os.cpus().length - 1) });
  const start = performance.now();
  let writing = 0;
  try {
    for (let i = 0; i < messages.length; i += BATCH) {
      const items = messages.slice(i, i + BATCH).map((m, k) => ({ uid: i + k + 1, flags: m.flags, internalDate: m.dateMs, raw: m.source }));
      const prepared = await prepareBatch(cipher, { userId, accountId, folderId, uidvalidity: 1, items }, { parse: pool.parse });
      const w = performance.now();
      await h.db.transaction().execute((trx) => storeBatch(trx, prepared));
      writing += performance.now() - w;
    }
    const total = (performance.now() - start) / 1000;
    console.log(`  (product [${h.dialect}]: prepare ${(total - writing / 1000).toFixed(2)} s, write transactions ${(writing / 1000).toFixed(2)} s)`);
    return total;
  } finally {
    await pool.close();
  }
}

async function naiveLoop(h: DatabaseHandle, messages: GeneratedMessage[]): Promise<number> {
  const blob = h.dialect === 'postgres' ? sql`bytea` : sql`blob`;
  await sql`create table naive (id text primary key, uid integer, subject text, sender text, body text, raw ${blob})`.execute(h.db);
  const start = performance.now();
  for (let i = 0; i < messages.length; i += BATCH) {
    const rows: Array<Record<string, unknown>> = [];
    for (const [k, m] of messages.slice(i, i + BATCH).entries()) {
      const p = await PostalMime.parse(m.source);
      rows.push({ id: newId(), uid: i + k + 1, subject: p.subject ?? '', sender: p.from?.address ?? '', body: p.text ?? '', raw: m.source });
    }
    await h.db.transaction().execute(async (trx) => {
      for (const r of rows) await (trx as Kysely<any>).insertInto('naive').values(r).execute();
    });
  }
  return (performance.now() - start) / 1000;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
