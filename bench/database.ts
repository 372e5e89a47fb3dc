import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config/index.js';
import { createDatabase, type DatabaseHandle } from '../src/db/database.js';
import { pgModule } from '../src/db/pg-module.js';
import { migrateUp } from '../src/db/migrate.js';
import type { Dialect } from '../src/db/schema.js';

/** A fresh, migrated, throw-away database for one bench run (a temp SQLite file or a new PostgreSQL database). */
export const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function withDatabase<T>(
  dialect: Dialect,
  run: (h: DatabaseHandle, url: string) => Promise<T>,
  options: { migrate?: boolean; /** SQLite: checkpoints on a worker, as src/runtime.ts opens the database. */ backgroundCheckpoints?: boolean } = {},
): Promise<T> {
  const name = `mh_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  let handle: DatabaseHandle;
  let url: string;
  let cleanup: () => Promise<void>;
  if (dialect === 'sqlite') {
    const file = path.join(os.tmpdir(), `${name}.db`);
    url = `sqlite:${file}`;
    handle = createDatabase({ url, dialect, sqlitePath: file, poolSize: 1, ...(options.backgroundCheckpoints ? { backgroundCheckpoints: {} } : {}) });
    cleanup = async () => {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    };
  } else {
    await admin(`CREATE DATABASE ${name}`);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    handle = createDatabase({ url, dialect, sqlitePath: null, poolSize: 4 });
    cleanup = () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  try {
    if (options.migrate !== false) await migrateUp(handle.db, dialect);
    return await run(handle, url);
  } finally {
    await handle.close();
    await cleanup();
  }
}

/** SQLITE_CHECKPOINT_WORKER from the environment, read as `mailhelper serve` reads it. */
export function checkpointWorkerFromEnv(): boolean {
  const value = process.env.SQLITE_CHECKPOINT_WORKER;
  return loadConfig(value === undefined ? {} : { SQLITE_CHECKPOINT_WORKER: value }).database.sqliteCheckpointWorker;
}

export async function admin(text: string): Promise<void> {
  // Loaded here, not at import: the SQLite runs must not hold node-postgres (the product does not).
  const client = new (pgModule().Client)({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
