import type { FastifyPluginAsync } from 'fastify';
import type { ReadinessRegistry } from '../../observability/readiness.js';

/** /livez answers while the process runs; /readyz only when every registered part is ready. */
export const probeRoutes: FastifyPluginAsync<{ readiness: ReadinessRegistry }> = async (app, { readiness }) => {
  app.get('/livez', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
    const report = await readiness.run();
    if (report.ready) return { status: 'ready', checks: report.checks };
    const failing = report.checks.filter((c) => !c.ok && !c.informational);
    return reply.status(503).send({
      status: 'not_ready',
      failing: failing.map((c) => c.name),
      checks: report.checks,
    });
  });
};
