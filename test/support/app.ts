import type { FastifyInstance } from 'fastify';
import { loadConfig, type EnvInput } from '../../src/config/index.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { ReadinessRegistry } from '../../src/observability/readiness.js';
import { sql } from 'kysely';
import { assertSchemaCurrent } from '../../src/db/migrate.js';
import type { TestDatabase } from './db.js';
import { createTestCrypto, testKeyRing } from './crypto.js';
import { createServices, type Services } from '../../src/services/index.js';
import { openJobs, type JobsRuntime } from '../../src/jobs/runtime.js';
import type { JobDefinition } from '../../src/jobs/registry.js';
import type { Crypto } from '../../src/crypto/crypto.js';

/** One master key ring per test process, so several apps on one database open the same data. */
const sharedRing = testKeyRing();
import { createInstanceSealer, type InstanceSealer } from '../../src/crypto/instance-secrets.js';
import { staticMasterKeys } from '../../src/crypto/master-keys.js';
import { createAccountsService, type AccountsOptions, type AccountsService } from '../../src/services/accounts.js';
import { createKeyedCanceller } from '../../src/jobs/keyed-cancel.js';
import { createEmbeddedQueue } from '../../src/jobs/embedded/queue.js';
import { createMemorySignals } from '../../src/jobs/embedded/signals.js';
import { createJobRegistry } from '../../src/jobs/registry.js';
import { ANALYSIS_RUN, queueAnalysisRuns } from '../../src/jobs/handlers/analysis-run.js';

/** The HTTP app on a test database, with the same readiness checks the runtime registers. */
export async function buildTestApp(
  database: TestDatabase,
  env: EnvInput = {},
  options: { now?: () => number; jobDefinitions?: JobDefinition[]; accounts?: Partial<AccountsOptions>; webRoot?: string | null; logger?: Logger } = {},
): Promise<{ app: FastifyInstance; readiness: ReadinessRegistry; services: Services; jobs: JobsRuntime | null; accounts: AccountsService; crypto: Crypto; instanceSealer: InstanceSealer }> {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: database.url, TWO_FACTOR_POLICY: 'optional', ...env });
  const readiness = new ReadinessRegistry();
  readiness.register({ name: 'database', check: async () => void (await sql`select 1`.execute(database.db)) });
  readiness.register({ name: 'migrations', check: () => assertSchemaCurrent(database.db, database.dialect) });
  const crypto = createTestCrypto(database.db, sharedRing);
  const services = createServices({ db: database.db, config, now: options.now, sealer: crypto, onUserCreated: async (id) => void (await crypto.ensureUserKey(id)) });
  const logger = options.logger ?? createLogger('silent');
  // With job definitions, the jobs API and event stream are mounted too (as a web node: no worker loop).
  const jobs = options.jobDefinitions ? await openJobs({ config, database, logger, role: 'web', definitions: options.jobDefinitions }) : null;
  // Job cancellation goes through the database; a worker in the test (if any) sees it on its next renewal.
  const queue = jobs?.queue ?? createEmbeddedQueue({ db: database.db, registry: createJobRegistry([]), signals: createMemorySignals() });
  const accounts = createAccountsService({
    db: database.db,
    config,
    crypto,
    throttle: services.throttle,
    jobs: createKeyedCanceller({ db: database.db, queue }),
    now: options.now,
    options: options.accounts,
  });
  // With the analysis job registered, a change of VIP senders or own domains queues it (as the runtime does).
  const requestAnalysis = jobs && options.jobDefinitions?.some((d) => d.type === ANALYSIS_RUN) ? (userId: string) => queueAnalysisRuns(database.db, jobs.queue, userId) : undefined;
  const instanceSealer = createInstanceSealer({ ring: staticMasterKeys(sharedRing), db: database.db });
  const app = await buildApp({ config, database, readiness, services, crypto, accounts, logger, jobs: jobs ?? undefined, webRoot: options.webRoot, requestAnalysis, instanceSealer });
  app.addHook('onClose', async () => {
    await accounts.close();
    await jobs?.close(1000);
  });
  await app.ready();
  return { app, readiness, services, jobs, accounts, crypto, instanceSealer };
}
