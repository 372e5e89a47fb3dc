import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from '../config/index.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Logger } from '../observability/logger.js';
import type { ReadinessRegistry } from '../observability/readiness.js';
import type { JobsRuntime } from '../jobs/runtime.js';
import type { ResolveUser } from './acting-user.js';
import { registerErrorHandling } from './plugins/errors.js';
import { probeRoutes } from './routes/probes.js';
import { adminJobRoutes } from './routes/admin-jobs.js';
import { eventRoutes } from './routes/events.js';
import { jobRoutes } from './routes/jobs.js';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  readiness: ReadinessRegistry;
  https?: { key: string | Buffer; cert: string | Buffer } | null;
  /** Jobs API and the event stream; absent in apps built without a queue. */
  jobs?: Pick<JobsRuntime, 'queue' | 'admin' | 'signals'>;
  /** Who is signed in. Until the auth plugin provides it, every user route answers 401. */
  resolveUser?: ResolveUser;
  eventHeartbeatMs?: number;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const options: FastifyServerOptions & { https?: { key: string | Buffer; cert: string | Buffer } } = {
    loggerInstance: deps.logger,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w-]{8,64}$/.test(incoming) ? incoming : randomUUID();
    },
    // Only the listed proxies may set X-Forwarded-For; never "trust all".
    trustProxy: deps.config.http.trustProxy.length > 0 ? deps.config.http.trustProxy : false,
    bodyLimit: 1024 * 1024,
  };
  if (deps.https) options.https = deps.https;
  const app = Fastify(options) as unknown as FastifyInstance;

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  registerErrorHandling(app);
  await app.register(probeRoutes, { readiness: deps.readiness });
  if (deps.jobs) {
    const resolveUser = deps.resolveUser ?? (async () => null);
    const { queue, admin, signals } = deps.jobs;
    await app.register(jobRoutes, { queue, resolveUser });
    await app.register(eventRoutes, { queue, signals, resolveUser, heartbeatMs: deps.eventHeartbeatMs });
    await app.register(adminJobRoutes, { admin, resolveUser });
  }
  return app;
}
