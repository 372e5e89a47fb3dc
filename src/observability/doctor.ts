import fs from 'node:fs';
import { sql } from 'kysely';
import type { Config } from '../config/index.js';
import { createDatabase } from '../db/database.js';
import { assertSchemaCurrent } from '../db/migrate.js';
import { keyDoctorChecks } from '../crypto/doctor-checks.js';
import { describeAccounts } from '../mail/doctor-checks.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** Passed, but the operator should act (printed as WARN). */
  warn?: boolean;
  detail: string;
}

/** Checks each part in order; the CLI names the first failure. Later parts (keys, queue) add theirs here. */
export async function runDoctor(config: Config): Promise<DoctorCheck[]> {
  const results: DoctorCheck[] = [];
  const record = async (name: string, fn: () => Promise<string>) => {
    try {
      results.push({ name, ok: true, detail: await fn() });
    } catch (err) {
      results.push({ name, ok: false, detail: err instanceof Error ? err.message : String(err) });
    }
  };

  await record('data directory', async () => {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.accessSync(config.dataDir, fs.constants.W_OK);
    return `${config.dataDir} is writable`;
  });

  const handle = createDatabase({ ...config.database, poolSize: 1 });
  try {
    await record('database', async () => {
      await sql`select 1`.execute(handle.db);
      return `${config.database.dialect} reachable`;
    });
    await record('migrations', async () => {
      await assertSchemaCurrent(handle.db, handle.dialect);
      return 'schema is current';
    });
    const schemaCurrent = results.at(-1)?.ok === true;
    results.push(...(await keyDoctorChecks(config, schemaCurrent ? handle.db : null)));
    if (schemaCurrent) await record('mail accounts', () => describeAccounts(handle.db));
  } finally {
    await handle.close();
  }

  if (config.redisUrl) {
    const redisUrl = config.redisUrl;
    await record('redis', async () => {
      const { Redis } = await import('ioredis');
      const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.ping();
        return 'reachable';
      } finally {
        client.disconnect();
      }
    });
  }
  return results;
}
