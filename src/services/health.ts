import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ReadinessRegistry } from '../observability/readiness.js';
import { opsRepository } from '../repositories/ops.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  components: { name: string; ok: boolean; error?: string }[];
  workers: { live: number };
  accounts: { id: string; state: string; lastSyncAt?: number | null; lastErrorCode?: string | null }[];
}

/** Workers count as live when they heartbeat within this window. */
const WORKER_LIVE_MS = 60_000;

/**
 * Instance health for admins and monitoring: each component, live workers, and every account's
 * sync state. One broken mailbox is reported but never makes the instance unhealthy.
 */
export function createHealthService(deps: { db: Kysely<Database>; readiness: ReadinessRegistry; now: () => number }) {
  return {
    async report(detail: 'admin' | 'monitoring'): Promise<HealthReport> {
      const ready = await deps.readiness.run();
      const accounts = (await opsRepository.accountStates(deps.db)).map((a) =>
        detail === 'admin' ? { id: a.id, state: a.state, lastSyncAt: a.lastSyncAt, lastErrorCode: a.lastErrorCode } : { id: a.id, state: a.state },
      );
      return {
        status: ready.ready ? 'ok' : 'degraded',
        components: ready.checks,
        workers: { live: await opsRepository.liveWorkers(deps.db, deps.now() - WORKER_LIVE_MS) },
        accounts,
      };
    },
  };
}
