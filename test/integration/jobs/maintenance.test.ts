import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { newId } from '../../../src/db/ids.js';
import { RETRY_DEFERRED_ANALYSIS } from '../../../src/jobs/handlers/retry-deferred-analysis.js';
import { openJobs, type JobsRuntime } from '../../../src/jobs/runtime.js';
import { createLogger } from '../../../src/observability/logger.js';
import { markAnalysis } from '../../../src/repositories/message-analysis.js';
import { prepareBatch } from '../../../src/services/sync/message-prepare.js';
import { storeBatch } from '../../../src/services/sync/message-store.js';
import { describeEachDialect } from '../../support/db.js';
import { waitUntil } from '../../support/job-harness.js';
import { generateMessages } from '../../support/mail/index.js';
import { createStoreFixture, insertAccount, insertFolder, type StoreFixture } from '../../support/mail-store.js';

const DAY = 24 * 60 * 60 * 1000;

it('LLM cache retention: 30 days unless LLM_CACHE_RETENTION_DAYS says otherwise', () => {
  expect(loadConfig({}).analysis.llmCacheRetentionDays).toBe(30);
  expect(loadConfig({ LLM_CACHE_RETENTION_DAYS: '7' }).analysis.llmCacheRetentionDays).toBe(7);
  expect(() => loadConfig({ LLM_CACHE_RETENTION_DAYS: '0' })).toThrow(/LLM_CACHE_RETENTION_DAYS/);
});

describeEachDialect('daily maintenance: LLM cache pruning and budget-deferred analysis', (ctx) => {
  let fx: StoreFixture;
  let jobs: JobsRuntime | undefined;
  let deferredAccount: string;
  let otherAccount: string;
  const sample = [...generateMessages({ seed: 5, count: 4 })];

  const store = async (accountId: string, folderId: string, from: number, to: number) => {
    const items = sample.slice(from, to).map((m, i) => ({ uid: i + 1, flags: [], raw: m.source, internalDate: m.dateMs }));
    const prepared = await prepareBatch(fx.cipher, { userId: fx.userId, accountId, folderId, uidvalidity: 1, items });
    return [...(await ctx.db.transaction().execute((trx) => storeBatch(trx, prepared))).messageIds.values()];
  };
  const statusOf = async (accountId: string) =>
    (await ctx.db.selectFrom('messages').select(['analysis_status', 'analysis_error']).where('account_id', '=', accountId).execute()).map((r) => `${r.analysis_status}:${r.analysis_error ?? ''}`);

  beforeAll(async () => {
    fx = await createStoreFixture(ctx.db);
    deferredAccount = fx.accountId;
    otherAccount = await insertAccount(ctx.db, fx.cipher);
    const deferred = await store(deferredAccount, await fx.folder('INBOX'), 0, 3);
    for (const id of deferred) await markAnalysis(ctx.db, fx.userId, id, 'pending', 'LLM_BUDGET_EXCEEDED', Date.now());
    // Pending for another reason (a run not yet done): the daily retry leaves that to the account's own run.
    await store(otherAccount, await insertFolder(ctx.db, fx.cipher, otherAccount, 'INBOX'), 3, 4);
    const now = Date.now();
    for (const [age, key] of [
      [40 * DAY, 'old'],
      [DAY, 'fresh'],
    ] as const) {
      await ctx.db
        .insertInto('llm_cache')
        .values({ id: newId(), user_id: fx.userId, cache_key: Buffer.from(key), result: Buffer.from('sealed'), created_at: now - age })
        .execute();
    }
  });

  afterAll(async () => {
    await jobs?.close(1000);
  });

  it('the system schedule prunes cached answers past retention and re-queues only the budget-deferred messages, which then get analysed', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: ctx.handle.url });
    jobs = await openJobs({
      config,
      database: ctx.handle,
      logger: createLogger('silent'),
      role: 'serve',
      handlers: { crypto: fx.crypto, llmCacheRetentionDays: config.analysis.llmCacheRetentionDays },
      worker: { pollMs: 50 },
      schedulerEveryMs: 60 * 60_000,
    });
    const completed = (type: string) =>
      waitUntil(`${type} to complete`, () => ctx.db.selectFrom('job_runs').select('id').where('type', '=', type).where('state', '=', 'completed').executeTakeFirst());

    await completed('jobs.prune-history');
    const left = await ctx.db.selectFrom('llm_cache').select('cache_key').where('user_id', '=', fx.userId).execute();
    expect(left.map((r) => Buffer.from(r.cache_key).toString())).toEqual(['fresh']);

    await completed(RETRY_DEFERRED_ANALYSIS);
    const queued = await ctx.db.selectFrom('jobs').select(['key', 'user_id']).where('type', '=', 'analysis.run').execute();
    expect(queued).toEqual([{ key: `analysis:${deferredAccount}`, user_id: fx.userId }]);
    await waitUntil('the deferred messages to be analysed', async () => (await statusOf(deferredAccount)).every((s) => s === 'done:'));
    expect(await statusOf(otherAccount)).toEqual(['pending:']);
  });
});
