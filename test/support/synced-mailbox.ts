import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createDatabase } from '../../src/db/database.js';
import { migrateUp } from '../../src/db/migrate.js';
import { analysePending } from '../../src/services/analysis/analyse-pending.js';
import { buildTestApp } from './app.js';
import type { TestDatabase } from './db.js';
import type { Dovecot } from './dovecot.js';
import { ALICE, TestClient } from './http-client.js';
import { createTestSync } from './sync.js';
import { addBedAccount } from './testbed.js';

/** A SQLite database at a path of the test's own (the tests' shared temp folder holds a serve lock of its own). */
export function openSqliteFile(file: string): TestDatabase {
  const handle = createDatabase({ url: `sqlite:${file}`, dialect: 'sqlite', sqlitePath: file, poolSize: 1 });
  return { ...handle, url: `sqlite:${file}`, sqlitePath: file };
}

/** What a signed-in ALICE sees: each listed message's detail and the SHA-256 of its source. */
export type UserView = Array<{ detail: unknown; sha256: string }>;

export async function userView(app: FastifyInstance): Promise<UserView> {
  const client = new TestClient(app, '192.0.2.90');
  await client.login(ALICE.username, ALICE.password);
  const items = (await client.get('/api/messages?limit=200')).json().items as { id: string }[];
  const view: UserView = [];
  for (const m of items) {
    const source = (await client.get(`/api/messages/${m.id}/source`)).rawPayload;
    view.push({ detail: (await client.get(`/api/messages/${m.id}`)).json(), sha256: createHash('sha256').update(source).digest('hex') });
  }
  return view;
}

/**
 * Migrates `db`, gives ALICE a generated mailbox on the private Dovecot, syncs and analyses it as
 * the product does, and returns what she sees (the app it built is closed again).
 */
export async function syncAnalysedMailbox(db: TestDatabase, server: Dovecot, mailbox: { name: string; seed: number; count: number }): Promise<UserView> {
  await migrateUp(db.db, db.dialect);
  const password = `${mailbox.name}-imap-password`;
  const user = server.createUser(mailbox.name, password);
  server.fillGenerated(user, { seed: mailbox.seed, count: mailbox.count });
  const built = await buildTestApp(db, { ALLOW_PRIVATE_MAIL_HOSTS: '1' });
  try {
    const userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
    const alice = new TestClient(built.app, '192.0.2.89');
    await alice.login(ALICE.username, ALICE.password);
    const accountId = await addBedAccount(alice, server, user, password, `${mailbox.name} bed`);
    await createTestSync({ db: db.db, crypto: built.crypto, accounts: built.accounts }).run(userId, accountId);
    await analysePending({ db: db.db, crypto: built.crypto, now: () => Date.parse('2026-06-01T08:00:00Z') }, userId, accountId);
    return await userView(built.app);
  } finally {
    await built.app.close();
  }
}
