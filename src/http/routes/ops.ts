import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { Metrics } from '../../observability/metrics.js';
import type { createHealthService } from '../../services/health.js';

/** /api/health and /metrics: admins (session or admin-scoped token) or the MONITORING_TOKEN bearer. */
export const opsRoutes: FastifyPluginAsync<{ health: ReturnType<typeof createHealthService>; metrics: Metrics }> = async (app, { health, metrics }) => {
  const guard = { config: { access: 'public' as const, monitoring: true } };
  const assertAllowed = (req: FastifyRequest) => {
    if (req.isMonitoring) return;
    const auth = req.auth;
    if (!auth || (auth.kind === 'session' && auth.state !== 'full')) {
      throw new AppError('UNAUTHENTICATED', 'Sign in as an admin or send the monitoring token', 401);
    }
    if (auth.user.role !== 'admin' || (auth.kind === 'token' && !auth.scopes.includes('admin'))) {
      throw new AppError('FORBIDDEN', 'Only admins may do this', 403);
    }
  };

  app.get('/api/health', guard, async (req, reply) => {
    assertAllowed(req);
    const report = await health.report(req.isMonitoring ? 'monitoring' : 'admin');
    return reply.status(report.status === 'ok' ? 200 : 503).send(report);
  });

  app.get('/metrics', { ...guard, logLevel: 'warn' }, async (req, reply) => {
    assertAllowed(req);
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
