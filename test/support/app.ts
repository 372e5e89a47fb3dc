import type { FastifyInstance } from 'fastify';
import { loadConfig, type EnvInput } from '../../src/config/index.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/observability/logger.js';
import { ReadinessRegistry } from '../../src/observability/readiness.js';
import { sql } from 'kysely';
import { assertSchemaCurrent } from '../../src/db/migrate.js';
import type { TestDatabase } from './db.js';
import { createTestCrypto, testKeyRing } from './crypto.js';

/** One master key ring per test process, so several apps on one database open the same data. */
const sharedRing = testKeyRing();
import { createServices, type Services } from '../../src/services/index.js';

/** The HTTP app on a test database, with the same readiness checks the runtime registers. */
export async function buildTestApp(database: TestDatabase, env: EnvInput = {}, options: { now?: () => number; webRoot?: string | null } = {}): Promise<{ app: FastifyInstance; readiness: ReadinessRegistry; services: Services }> {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: database.url, TWO_FACTOR_POLICY: 'optional', ...env });
  const readiness = new ReadinessRegistry();
  readiness.register({ name: 'database', check: async () => void (await sql`select 1`.execute(database.db)) });
  readiness.register({ name: 'migrations', check: () => assertSchemaCurrent(database.db, database.dialect) });
  const crypto = createTestCrypto(database.db, sharedRing);
  const services = createServices({ db: database.db, config, now: options.now, sealer: crypto, onUserCreated: async (id) => void (await crypto.ensureUserKey(id)) });
  const app = await buildApp({ config, database, readiness, services, logger: createLogger('silent'), webRoot: options.webRoot });
  await app.ready();
  return { app, readiness, services };
}
