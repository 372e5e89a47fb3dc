import type { Executor } from '../db/schema.js';

/** Aggregates for health and metrics: counts and states only, never names or content. */
export const opsRepository = {
  async jobsByTypeAndState(ex: Executor): Promise<{ type: string; state: string; n: number }[]> {
    const rows = await ex
      .selectFrom('jobs')
      .select(['type', 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', 'in', ['queued', 'active'])
      .groupBy(['type', 'state'])
      .execute();
    return rows.map((r) => ({ type: r.type, state: r.state, n: Number(r.n) }));
  },

  async jobRunsByTypeAndState(ex: Executor): Promise<{ type: string; state: string; n: number; seconds: number }[]> {
    const rows = await ex
      .selectFrom('job_runs')
      .select(['type', 'state', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.sum<number>('duration_ms').as('ms')])
      .groupBy(['type', 'state'])
      .execute();
    return rows.map((r) => ({ type: r.type, state: r.state, n: Number(r.n), seconds: Number(r.ms ?? 0) / 1000 }));
  },

  async accountStates(ex: Executor): Promise<{ id: string; userId: string; state: string; lastSyncAt: number | null; lastErrorCode: string | null }[]> {
    const rows = await ex.selectFrom('accounts').select(['id', 'user_id', 'state', 'last_sync_at', 'last_error_code']).orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, userId: r.user_id, state: r.state, lastSyncAt: r.last_sync_at, lastErrorCode: r.last_error_code }));
  },

  async liveWorkers(ex: Executor, since: number): Promise<number> {
    const row = await ex
      .selectFrom('workers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('heartbeat_at', '>=', since)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  async userCount(ex: Executor): Promise<number> {
    const row = await ex.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  },
};
