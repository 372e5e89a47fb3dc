import { beforeAll, expect, it } from 'vitest';
import { createEmbeddedQueue } from '../../../src/jobs/embedded/queue.js';
import { createMemorySignals } from '../../../src/jobs/embedded/signals.js';
import { createJobRegistry } from '../../../src/jobs/registry.js';
import { createScheduler, type ScheduleEntry } from '../../../src/jobs/scheduler.js';
import { createLogger } from '../../../src/observability/logger.js';
import { describeEachDialect } from '../../support/db.js';
import { createUser, fixtureJobDefinitions } from '../../support/job-harness.js';

const MIN = 60_000;

describeEachDialect('scheduler (injected clock)', (ctx) => {
  let clock = 0;
  let entries: ScheduleEntry[] = [];
  const make = (random: () => number) => {
    const queue = createEmbeddedQueue({ db: ctx.db, registry: createJobRegistry(fixtureJobDefinitions(ctx.db)), signals: createMemorySignals(), now: () => clock });
    return createScheduler({ db: ctx.db, queue, logger: createLogger('silent'), now: () => clock, random, entries: async () => entries });
  };
  const openJobs = async (key: string) =>
    ctx.db.selectFrom('jobs').select(['id', 'state']).where('key', '=', key).where('state', 'in', ['queued', 'active']).execute();
  const finish = async (key: string) => {
    await ctx.db.updateTable('jobs').set({ state: 'completed', finished_at: clock }).where('key', '=', key).where('state', 'in', ['queued', 'active']).execute();
  };

  beforeAll(async () => {
    const user = await createUser(ctx.db);
    entries = [
      { key: 'acct-5min', type: 'test.echo', payload: { n: 1 }, userId: user, intervalMs: 5 * MIN },
      { key: 'acct-15min', type: 'test.echo', payload: { n: 2 }, userId: user, intervalMs: 15 * MIN },
    ];
  });

  it('runs each schedule at its interval with jitter, and never enqueues while one is still open', async () => {
    clock = 1_000_000;
    const scheduler = make(() => 1); // jitter at its maximum: +10%
    expect((await scheduler.tick()).enqueued.sort()).toEqual(['acct-15min', 'acct-5min']);
    expect(await scheduler.tick()).toEqual({ enqueued: [], skipped: [] });

    clock += 5.5 * MIN - 1;
    expect(await scheduler.tick()).toEqual({ enqueued: [], skipped: [] });
    clock += 1;
    // Due, but the first one has not run yet: skipped, never a second one.
    expect(await scheduler.tick()).toEqual({ enqueued: [], skipped: ['acct-5min'] });
    expect(await openJobs('acct-5min')).toHaveLength(1);

    await finish('acct-5min');
    clock += 5.5 * MIN;
    expect(await scheduler.tick()).toEqual({ enqueued: ['acct-5min'], skipped: [] });
    expect(await openJobs('acct-5min')).toHaveLength(1);
  });

  it('two processes ticking at the same moment enqueue a due schedule once', async () => {
    await finish('acct-5min');
    await finish('acct-15min');
    clock += 20 * MIN;
    const a = make(() => 0.5);
    const b = make(() => 0.5);
    const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
    expect([...ra.enqueued, ...rb.enqueued].sort()).toEqual(['acct-15min', 'acct-5min']);
    expect(await openJobs('acct-5min')).toHaveLength(1);
    expect(await openJobs('acct-15min')).toHaveLength(1);
  });

  it('over simulated 12 hours each account runs 0.9–1.1 × (12 h / interval) times with random jitter', async () => {
    await finish('acct-5min');
    await finish('acct-15min');
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const scheduler = make(random);
    const counts: Record<string, number> = { 'acct-5min': 0, 'acct-15min': 0 };
    const end = clock + 12 * 60 * MIN;
    while (clock < end) {
      clock += MIN;
      for (const key of (await scheduler.tick()).enqueued) counts[key]!++;
      // Jobs finish well within the tick; the schedule decides the cadence.
      await finish('acct-5min');
      await finish('acct-15min');
    }
    expect(counts['acct-5min']).toBeGreaterThanOrEqual(0.9 * 144);
    expect(counts['acct-5min']).toBeLessThanOrEqual(1.1 * 144);
    expect(counts['acct-15min']).toBeGreaterThanOrEqual(0.9 * 48);
    expect(counts['acct-15min']).toBeLessThanOrEqual(1.1 * 48);
  }, 60_000);
});
