import os from 'node:os';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createCrypto } from '../../src/crypto/crypto.js';
import { generateMasterKey } from '../../src/crypto/keyring.js';
import { staticMasterKeys } from '../../src/crypto/master-keys.js';
import { newId } from '../../src/db/ids.js';
import type { Database } from '../../src/db/schema.js';
import { createParsePool } from '../../src/mail/mime/parse-pool.js';
import { prepareBatch } from '../../src/services/sync/message-prepare.js';
import { storeBatch } from '../../src/services/sync/message-store.js';
import { CORPUS } from '../../test/support/mail/corpus.js';
import { generateMessages } from '../../test/support/mail/generator.js';
import { withDatabase } from '../database.js';

const stats = new Map<string, { n: number; ms: number }>();
await withDatabase('postgres', async (h, url) => {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (e) => {
    const key = e.query.sql.replace(/\$\d+/g, '?').replace(/\(\?(, \?)*\)/g, '(…)').slice(0, 90);
    const s = stats.get(key) ?? { n: 0, ms: 0 }; s.n++; s.ms += e.queryDurationMillis; stats.set(key, s);
  } });
  const { id: keyId, key } = generateMasterKey();
  const crypto = createCrypto({ ring: staticMasterKeys({ keys: new Map([[keyId, key]]), activeId: keyId }), db: h.db });
  const userId = newId(); const now = Date.now();
  await h.db.insertInto('users').values({ id: userId, username: 'b', role: 'user', password_hash: 'x', is_disabled: 0, language: 'en', created_at: now, updated_at: now, password_changed_at: now }).execute();
  const cipher = await crypto.ensureUserKey(userId);
  const accountId = newId(); const folderId = newId();
  const any = h.db as Kysely<any>;
  await any.insertInto('accounts').values({ id: accountId, user_id: userId, name: cipher.sealText('account.name.v1', accountId, 'b'), settings: cipher.sealText('account.settings.v1', accountId, '{}'), sync_interval_minutes: 5, initial_window_days: 90, initial_max_per_folder: 5000, created_at: now, updated_at: now }).execute();
  await any.insertInto('folders').values({ id: folderId, user_id: userId, account_id: accountId, path: cipher.sealText('folder.path.v1', folderId, 'INBOX'), path_hash: cipher.lookupHash('folder.path.v1', 'INBOX'), is_synced: 1, created_at: now, updated_at: now }).execute();
  const msgs = [...generateMessages({ seed: 1, count: 500, sizeMix: CORPUS.sizeMix })];
  const parsePool = createParsePool();
  let total = 0;
  for (let i = 0; i < msgs.length; i += 50) {
    const items = msgs.slice(i, i + 50).map((m, k) => ({ uid: i + k + 1, flags: m.flags, internalDate: m.dateMs, raw: m.source }));
    const prepared = await prepareBatch(cipher, { userId, accountId, folderId, uidvalidity: 1, items }, { parse: parsePool.parse });
    const t = performance.now();
    await db.transaction().execute((trx) => storeBatch(trx, prepared));
    total += performance.now() - t;
  }
  await parsePool.close();
  console.log(`write total ${total.toFixed(0)} ms, cores ${os.cpus().length}`);
  for (const [k, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(`${String(s.n).padStart(6)} ${s.ms.toFixed(0).padStart(6)} ms  ${k}`);
  await db.destroy();
});
