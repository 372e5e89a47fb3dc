import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { createDatabase } from '../../src/db/database.js';
import { migrateUp } from '../../src/db/migrate.js';
import { adminUrl, pgTestUrl, probeRedis } from './services.js';
import { ensureBuilt } from './build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Template database (migrated once per run) or the reason PostgreSQL is unavailable. */
    pgTemplate: { name: string } | { error: string };
    sqliteTemplate: string;
    redis: { url: string } | { error: string };
    tmpRoot: string;
  }
}

/** Migrates one template per dialect per run; each test file copies it (test/support/db.ts). */
export default async function setup(project: TestProject) {
  ensureBuilt();
  const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mailhelper-test-'));
  const sqliteTemplate = path.join(tmpRoot, 'template.db');
  const sqlite = createDatabase({ url: `sqlite:${sqliteTemplate}`, dialect: 'sqlite', sqlitePath: sqliteTemplate, poolSize: 1 });
  await migrateUp(sqlite.db, 'sqlite');
  await sqlite.close();

  let pgTemplate: { name: string } | { error: string };
  const templateName = `mh_tpl_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${templateName}`);
    const tpl = createDatabase({ url: pgTestUrl(templateName), dialect: 'postgres', sqlitePath: null, poolSize: 1 });
    await migrateUp(tpl.db, 'postgres');
    await tpl.close();
    pgTemplate = { name: templateName };
  } catch (err) {
    pgTemplate = { error: `PostgreSQL at ${adminUrl()} unavailable: ${(err as Error).message}` };
  }

  const redisError = await probeRedis();
  project.provide('pgTemplate', pgTemplate);
  project.provide('sqliteTemplate', sqliteTemplate);
  project.provide('redis', redisError ? { error: redisError } : { url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' });
  project.provide('tmpRoot', tmpRoot);

  return async () => {
    if ('name' in pgTemplate) {
      await admin.query(`DROP DATABASE IF EXISTS ${pgTemplate.name} WITH (FORCE)`).catch(() => {});
    }
    await admin.end().catch(() => {});
    fs.rmSync(tmpRoot, { recursive: true, force: true });
  };
}
