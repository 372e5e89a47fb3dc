import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../db/schema.js';
import { opsRepository } from '../repositories/ops.js';
import { llmMetrics } from './llm-metrics.js';

/**
 * Prometheus metrics with the mailhelper_ prefix. Labels are bounded: route patterns, methods,
 * status classes, job types and states — never a user, account, address or folder.
 */
export function createMetrics(deps: { db: Kysely<Database> }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mailhelper_' });
  llmMetrics.register(registry);

  const httpRequests = new Counter({
    name: 'mailhelper_http_requests_total',
    help: 'HTTP requests by route pattern, method and status class',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'mailhelper_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  // Job figures come from the database (jobs and job_runs), the one place both back-ends write to.
  new Gauge({
    name: 'mailhelper_jobs',
    help: 'Queued and running jobs by type and state',
    labelNames: ['type', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await opsRepository.jobsByTypeAndState(deps.db)) this.set({ type: r.type, state: r.state }, r.n);
    },
  });
  new Gauge({
    name: 'mailhelper_job_runs_finished',
    help: 'Finished job runs kept in history (30 days) by type and terminal state',
    labelNames: ['type', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await opsRepository.jobRunsByTypeAndState(deps.db)) this.set({ type: r.type, state: r.state }, r.n);
    },
  });
  new Gauge({
    name: 'mailhelper_accounts',
    help: 'Mail accounts by sync state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const a of await opsRepository.accountStates(deps.db)) counts.set(a.state, (counts.get(a.state) ?? 0) + 1);
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'mailhelper_users',
    help: 'Users',
    registers: [registry],
    async collect() {
      this.set(await opsRepository.userCount(deps.db));
    },
  });

  return {
    registry,
    /** Counts every request by its route pattern (unmatched URLs share one label). */
    instrument(app: FastifyInstance): void {
      app.addHook('onResponse', async (req, reply) => {
        const route = req.routeOptions.url ?? 'unmatched';
        if (route === '/metrics') return;
        const status = `${Math.floor(reply.statusCode / 100)}xx`;
        httpRequests.inc({ route, method: req.method, status });
        httpDuration.observe({ route, method: req.method }, reply.elapsedTime / 1000);
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
