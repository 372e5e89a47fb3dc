import { randomBytes } from 'node:crypto';
import { type KyselyPlugin, type RootOperationNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/db/ids.js';
import { correspondenceWith, unindexedMessages } from '../../../src/repositories/message-addresses.js';
import { pendingMessages } from '../../../src/repositories/message-analysis.js';
import { findByIdentity, presentIdentities } from '../../../src/repositories/messages.js';
import { addThreadKeys, threadBySubjectAndParticipants, threadsByRefs } from '../../../src/repositories/threads.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

/**
 * The sync's per-batch look-ups must find rows by key, whatever the mailbox size. SQLite plans
 * without statistics on a new database: a query that named the account next to a hash once chose the
 * (user, account) index and read every message of the account for each batch; the thread-key
 * look-up read every key of the user. These plans are what a growing mailbox would feel.
 */
describe('query plans of the sync look-ups [sqlite]', () => {
  let h: TestDatabase;
  const nodes: RootOperationNode[] = [];
  const capture: KyselyPlugin = {
    transformQuery: (args) => (nodes.push(args.node), args.node),
    transformResult: async (args) => args.result,
  };

  beforeAll(async () => {
    h = await createTestDatabase('sqlite');
  });
  afterAll(() => h.close());

  it('reads messages and thread keys by hash, never every row of a user or an account', async () => {
    const db = h.db.withPlugin(capture);
    const hash = () => randomBytes(32);
    await presentIdentities(db, 'u1', 'a1', { emailIds: ['e1'], contentHashes: [hash(), hash()], envelopeHashes: [hash()] });
    await findByIdentity(db, 'u1', 'a1', { contentHash: hash() });
    await findByIdentity(db, 'u1', 'a1', { envelopeHash: hash() });
    await threadsByRefs(db, 'u1', [hash(), hash()]);
    await threadBySubjectAndParticipants(db, 'u1', { subjectHash: hash(), senderHash: hash(), recipientHashes: [hash(), hash()], from: 0, to: 1 });
    // Its look-up is what matters; the insert after it (no such thread) is rolled back.
    await expect(db.transaction().execute(async (trx) => {
      await addThreadKeys(trx, 'u1', newId(), [{ kind: 'ref', hash: hash() }, { kind: 'addr', hash: hash() }], 1);
    })).rejects.toThrow();
    const plans: string[] = [];
    for (const node of nodes.filter((n) => n.kind === 'SelectQueryNode')) {
      const compiled = h.db.getExecutor().compileQuery(node, { queryId: 'plan' } as never);
      const explained = await h.db.executeQuery<{ detail: string }>({ ...compiled, sql: `explain query plan ${compiled.sql}` });
      plans.push(`${compiled.sql}\n  ${explained.rows.map((r) => r.detail).join('\n  ')}`);
    }
    expect(plans.length).toBeGreaterThanOrEqual(7);
    for (const plan of plans) {
      const lines = plan.split('\n').slice(1);
      // Every table is reached through an index with a hash or id among the columns it matched.
      for (const line of lines.filter((l) => /SCAN|SEARCH/.test(l))) {
        expect(line, plan).not.toMatch(/\bSCAN (messages|thread_keys|threads)\b/);
        expect(line, plan).toMatch(/\b(id|thread_id|email_id|[a-z_]*hash)=/);
      }
    }
  });

  it("the analysis reads an account's pending messages and a sender's history by key, never every message", async () => {
    nodes.length = 0;
    const db = h.db.withPlugin(capture);
    await pendingMessages(db, 'u1', 'a1', 100);
    await pendingMessages(db, 'u1', 'a1', 100, newId());
    await unindexedMessages(db, 'u1', 'a1', 200);
    await correspondenceWith(db, 'u1', randomBytes(32), Date.now(), newId());
    const plans: string[] = [];
    for (const node of nodes.filter((n) => n.kind === 'SelectQueryNode')) {
      const compiled = h.db.getExecutor().compileQuery(node, { queryId: 'plan' } as never);
      const explained = await h.db.executeQuery<{ detail: string }>({ ...compiled, sql: `explain query plan ${compiled.sql}` });
      plans.push(`${compiled.sql}\n  ${explained.rows.map((r) => r.detail).join('\n  ')}`);
    }
    expect(plans).toHaveLength(5);
    for (const plan of plans) {
      const messageLines = plan.split('\n').slice(1).filter((l) => /(SCAN|SEARCH) (messages|m)\b/.test(l));
      expect(messageLines.length, plan).toBeGreaterThan(0);
      // By id (a join from the address index), or by an index that names the status the query asks for.
      for (const line of messageLines) expect(line, plan).toMatch(/\((id=\?|user_id=\? AND account_id=\? AND (analysis_status|addresses_indexed)=\?)/);
    }
  });
});
