import type { Config } from '../config/index.js';
import { AppError } from '../errors.js';
import { configOrExit, fail, reportFatal } from './common.js';
import { createDatabase, type DatabaseHandle } from '../db/database.js';
import { assertSchemaCurrent } from '../db/migrate.js';
import { loadConfiguredKeys, openCrypto } from '../crypto/open-crypto.js';
import { createLogger } from '../observability/logger.js';
import { createServices, type Services } from '../services/index.js';

export interface CliContext {
  config: Config;
  database: DatabaseHandle;
  services: Services;
  close(): Promise<void>;
}

/**
 * What short-lived admin commands need. It takes no instance lock, so it works while `serve`
 * runs on the same data; it refuses a schema that is not current instead of migrating.
 */
export async function openCliContext(config: Config): Promise<CliContext> {
  const database = createDatabase({ ...config.database, poolSize: 2 });
  try {
    await assertSchemaCurrent(database.db, database.dialect);
  } catch (err) {
    await database.close();
    throw err;
  }
  let services: Services;
  try {
    const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level);
    const crypto = await openCrypto(await loadConfiguredKeys(config, logger, { mayGenerate: false }), database.db, logger);
    services = createServices({ db: database.db, config, sealer: crypto, onUserCreated: async (id) => void (await crypto.ensureUserKey(id)) });
  } catch (err) {
    await database.close();
    throw err;
  }
  return { config, database, services, close: () => database.close() };
}

/** Reads a secret from standard input (piped), trimming one trailing newline. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Runs an admin command with a context, printing domain errors as one line with their code. */
export async function withCliContext(dataDir: string | undefined, fn: (ctx: CliContext) => Promise<void>): Promise<void> {
  const config = configOrExit({ dataDir });
  try {
    const ctx = await openCliContext(config);
    try {
      await fn(ctx);
    } finally {
      await ctx.close();
    }
  } catch (err) {
    if (err instanceof AppError) fail(`${err.message} (${err.code})`);
    reportFatal(err);
  }
}
