import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from '../config/index.js';
import type { DatabaseHandle } from '../db/database.js';
import type { Logger } from '../observability/logger.js';
import type { ReadinessRegistry } from '../observability/readiness.js';
import type { Services } from '../services/index.js';
import type { Crypto } from '../crypto/crypto.js';
import { registerAuth, type RouteAccess } from './plugins/auth.js';
import type { JobsRuntime } from '../jobs/runtime.js';
import type { ResolveUser } from './acting-user.js';
import { registerErrorHandling } from './plugins/errors.js';
import { accessRoutes } from './routes/access.js';
import { accountRoutes } from './routes/accounts.js';
import { syncRoutes } from './routes/sync.js';
import { messageActionRoutes } from './routes/message-actions.js';
import { createMessageActions } from '../services/writeback/message-actions.js';
import { publishMailChange } from '../services/writeback/mail-events.js';
import { messageRoutes } from './routes/messages.js';
import { senderSettingsRoutes } from './routes/sender-settings.js';
import { tagRoutes } from './routes/tags.js';
import { createMessageReader } from '../services/messages/message-reader.js';
import { createAnalysisService } from '../services/analysis/analysis-service.js';
import { createSenderRulesService } from '../services/sender-rules.js';
import { createTagsService } from '../services/tags.js';
import { createSyncRequests } from '../services/sync/sync-requests.js';
import type { AccountsService } from '../services/accounts.js';
import { authRoutes } from './routes/auth.js';
import { probeRoutes } from './routes/probes.js';
import { opsRoutes } from './routes/ops.js';
import { createMetrics } from '../observability/metrics.js';
import { createHealthService } from '../services/health.js';
import { userRoutes } from './routes/users.js';
import { markDocsPublic, registerApiDocs } from './api-docs.js';
import { defaultWebRoot, registerWebUi, type NotFoundFallback } from './web-ui.js';

export interface RouteInfo {
  method: string;
  url: string;
  access: RouteAccess;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteInfo[];
  }
}
import { createMailHtml } from '../services/messages/mail-html.js';
import { adminJobRoutes } from './routes/admin-jobs.js';
import { eventRoutes } from './routes/events.js';
import { jobRoutes } from './routes/jobs.js';
import { aiRoutes } from './routes/ai.js';
import type { InstanceSealer } from '../crypto/instance-secrets.js';
import { createAiProvidersService } from '../services/analysis/llm-providers.js';
import { createReanalysis } from '../services/analysis/llm-reanalyse.js';
import { createLlmRefiner } from '../services/analysis/llm-refine.js';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  readiness: ReadinessRegistry;
  services: Services;
  /** Opens sealed content for the signed-in user (messages, sources, attachments). */
  crypto: Pick<Crypto, 'forUser'>;
  https?: { key: string | Buffer; cert: string | Buffer } | null;
  /** Jobs API and the event stream; absent in apps built without a queue. */
  jobs?: Pick<JobsRuntime, 'queue' | 'admin' | 'signals'>;
  /** Who is signed in; by default the session or API token the auth plugin resolved. */
  resolveUser?: ResolveUser;
  eventHeartbeatMs?: number;
  /** Mail accounts; absent in apps built without crypto (their routes are then not registered). */
  accounts?: AccountsService;
  /** The built web UI; null serves none (API-only apps in tests). Default: dist/web. */
  webRoot?: string | null;
  /** Queues an analysis run of each of the user's accounts (after VIP senders or own domains change). */
  requestAnalysis?: (userId: string) => Promise<void>;
  /** Seals instance-level secrets (LLM provider keys); without it the AI routes are not registered. */
  instanceSealer?: InstanceSealer;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const options: FastifyServerOptions & { https?: { key: string | Buffer; cert: string | Buffer } } = {
    loggerInstance: deps.logger,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w-]{8,64}$/.test(incoming) ? incoming : randomUUID();
    },
    // Only the listed proxies may set X-Forwarded-For; never "trust all".
    trustProxy: config.http.trustProxy.length > 0 ? config.http.trustProxy : false,
    bodyLimit: 1024 * 1024,
  };
  if (deps.https) options.https = deps.https;
  const app = Fastify(options) as unknown as FastifyInstance;

  // Every route, for tests that must cover all of them (isolation harness, no state-changing GET).
  const routeTable: RouteInfo[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    markDocsPublic(route);
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routeTable.push({ method, url: route.url, access: route.config?.access ?? (route.url.startsWith('/api/') ? 'user' : 'public') });
    }
  });

  // Only JSON bodies: a cross-site form or text/plain "simple request" can never reach a handler.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // The web UI registers last; until then (and without a build) the 404 handler has no fallback.
  let uiFallback: NotFoundFallback | null = null;
  registerErrorHandling(app, { notFound: () => uiFallback });

  const isHttps = Boolean(deps.https) || (config.http.publicUrl?.startsWith('https://') ?? false);
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: isHttps ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  });
  await app.register(cookie);
  registerAuth(app, { services: deps.services, config });
  await registerApiDocs(app);

  await app.register(probeRoutes, { readiness: deps.readiness });
  const metrics = createMetrics({ db: deps.database.db });
  metrics.instrument(app);
  const health = createHealthService({ db: deps.database.db, readiness: deps.readiness, now: Date.now });
  await app.register(opsRoutes, { health, metrics });
  await app.register(
    async (api) => {
      await api.register(authRoutes, { services: deps.services, config });
      await api.register(userRoutes, { services: deps.services });
      await api.register(accessRoutes, { services: deps.services, config });
      if (deps.accounts) await api.register(accountRoutes, { accounts: deps.accounts });
      const reader = createMessageReader({ db: deps.database.db, crypto: deps.crypto });
      const providers = deps.instanceSealer ? createAiProvidersService({ db: deps.database.db, sealer: deps.instanceSealer, now: Date.now }) : null;
      const refine = providers ? createLlmRefiner({ db: deps.database.db, crypto: deps.crypto, providers, now: Date.now }) : undefined;
      const analysis = createAnalysisService({ db: deps.database.db, crypto: deps.crypto, reader, now: Date.now, refine });
      await api.register(messageRoutes, { reader, analysis, mailHtml: createMailHtml({ reader }) });
      await api.register(tagRoutes, { tags: createTagsService({ db: deps.database.db, crypto: deps.crypto, now: Date.now }) });
      await api.register(senderSettingsRoutes, {
        senders: createSenderRulesService({ db: deps.database.db, crypto: deps.crypto, now: Date.now, requestAnalysis: deps.requestAnalysis }),
      });
      if (providers) {
        await api.register(aiRoutes, { providers, reanalysis: createReanalysis({ db: deps.database.db, providers, queue: deps.jobs?.queue }) });
      }
      if (deps.accounts && deps.jobs) {
        await api.register(syncRoutes, { sync: createSyncRequests({ db: deps.database.db, queue: deps.jobs.queue, accounts: deps.accounts }) });
        const signals = deps.jobs.signals;
        await api.register(messageActionRoutes, {
          actions: createMessageActions({ db: deps.database.db, queue: deps.jobs.queue, now: Date.now, onChanged: (change) => publishMailChange(signals, change) }),
        });
      }
    },
    { prefix: '/api' },
  );
  if (deps.jobs) {
    const resolveUser: ResolveUser = deps.resolveUser ?? (async (req) => (req.auth ? { id: req.auth.user.id, role: req.auth.user.role } : null));
    const { queue, admin, signals } = deps.jobs;
    await app.register(jobRoutes, { queue, resolveUser });
    await app.register(eventRoutes, { queue, signals, resolveUser, heartbeatMs: deps.eventHeartbeatMs });
    await app.register(adminJobRoutes, { admin, resolveUser });
  }
  const webRoot = deps.webRoot === undefined ? defaultWebRoot : deps.webRoot;
  if (webRoot) uiFallback = await registerWebUi(app, webRoot);
  return app;
}
