import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../support/db.js';
import { createEmbeddedHarness, createUser, type JobHarness } from '../../support/job-harness.js';

/**
 * The scheduler in real time: interval 3 s, three worker processes each running a scheduler, 60 s.
 * It takes a minute, so it runs only with JOBS_REALTIME=1 (e.g. `JOBS_REALTIME=1 npx vitest run
 * test/integration/jobs/scheduler-realtime.test.ts`); the injected-clock tests cover the same logic fast.
 */
const enabled = process.env.JOBS_REALTIME === '1';
const seconds = Number(process.env.JOBS_REALTIME_SECONDS ?? 60);
const intervalMs = 3000;

describeEachDialect('scheduler in real time', (ctx) => {
  let h: JobHarness | undefined;
  const keys = ['acct-rt-1', 'acct-rt-2', 'acct-rt-3'];
  let schedules: { key: string; userId: string; intervalMs: number }[] = [];

  beforeAll(async () => {
    if (!enabled) return;
    schedules = [];
    for (const key of keys) schedules.push({ key, userId: await createUser(ctx.db), intervalMs });
  });
  afterAll(async () => h?.close());

  it.skipIf(!enabled)(`each account runs 0.8–1.1 × (${seconds} s / 3 s) times, never two at once`, async () => {
    h = await createEmbeddedHarness(`realtime-${ctx.dialect}`, ctx.handle, { workers: 0 });
    await h.db.insertInto('test_counter').values(keys.map((key) => ({ key, current: 0, max_seen: 0, runs: 0 }))).execute();
    const env = { TEST_SCHEDULES: JSON.stringify(schedules), TEST_SCHEDULER_MS: '200', JOBS_CONCURRENCY: '2' };
    const processes = ctx.dialect === 'postgres' ? 3 : 1;
    const harness = await createEmbeddedHarness(`realtime-${ctx.dialect}-workers`, ctx.handle, { workers: processes, env });
    await new Promise((r) => setTimeout(r, seconds * 1000));
    await harness.close();
    const counters = await h.db.selectFrom('test_counter').selectAll().orderBy('key').execute();
    const expected = seconds / (intervalMs / 1000);
    process.stdout.write(`[realtime ${ctx.dialect}] expected ${expected} runs per account: ${counters.map((c: any) => `${c.key}=${c.runs} (max at once ${c.max_seen})`).join(', ')}\n`);
    for (const c of counters as any[]) {
      expect(Number(c.runs)).toBeGreaterThanOrEqual(0.8 * expected);
      expect(Number(c.runs)).toBeLessThanOrEqual(1.1 * expected);
      expect(Number(c.max_seen)).toBe(1);
    }
  }, (seconds + 60) * 1000);
});
