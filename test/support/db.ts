import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/db/database.js';
import type { Dialect } from '../../src/db/schema.js';
import { adminUrl, pgTestUrl, serviceMissing } from './services.js';

export const dialects: Dialect[] = ['sqlite', 'postgres'];

export interface TestDatabase extends DatabaseHandle {
  url: string;
  sqlitePath: string | null;
}

/**
 * A fresh database for this test file: a copy of the migrated template (or an empty one),
 * dropped afterwards. Throws the service's reason when PostgreSQL is unavailable.
 */
export async function createTestDatabase(dialect: Dialect, options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  if (dialect === 'sqlite') {
    const file = path.join(inject('tmpRoot'), `t_${suffix}.db`);
    if (!options.empty) fs.copyFileSync(inject('sqliteTemplate'), file);
    const handle = createDatabase({ url: `sqlite:${file}`, dialect, sqlitePath: file, poolSize: 1 });
    return {
      ...handle,
      url: `sqlite:${file}`,
      sqlitePath: file,
      async close() {
        await handle.close();
        for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
      },
    };
  }
  const template = inject('pgTemplate');
  if ('error' in template) throw new Error(template.error);
  const name = `mh_t_${suffix}`;
  await adminQuery(options.empty ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${template.name}`);
  const url = pgTestUrl(name);
  const handle = createDatabase({ url, dialect, sqlitePath: null, poolSize: 4 });
  return {
    ...handle,
    url,
    sqlitePath: null,
    async close() {
      await handle.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function adminQuery(text: string): Promise<void> {
  // Copies of one template can collide ("source database is being accessed"); a short retry settles it.
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: adminUrl() });
    try {
      await client.connect();
      await client.query(text);
      return;
    } catch (err) {
      if (attempt >= 10 || !/being accessed/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100 + attempt * 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** Whether a dialect can run here; in CI a missing PostgreSQL makes the suite fail instead of skipping. */
function availability(dialect: Dialect): 'ok' | 'fail' | 'skip' {
  if (dialect === 'sqlite') return 'ok';
  const template = inject('pgTemplate');
  return 'error' in template ? serviceMissing(template.error) : 'ok';
}

/**
 * Runs the same suite on SQLite and PostgreSQL, each on its own fresh database for this file.
 * Inside, `ctx.db` / `ctx.handle` are ready from `beforeAll` on.
 */
export function describeEachDialect(
  name: string,
  body: (ctx: { readonly db: DatabaseHandle['db']; readonly handle: TestDatabase; dialect: Dialect }) => void,
  options: { empty?: boolean; only?: Dialect } = {},
): void {
  for (const dialect of dialects) {
    if (options.only && dialect !== options.only) continue;
    const state = availability(dialect);
    if (state === 'skip') {
      describe.skip(`${name} [${dialect}]`, () => {
        it('needs its database');
      });
      continue;
    }
    describe(`${name} [${dialect}]`, () => {
      if (state === 'fail') {
        it('has its database service', () => {
          const template = inject('pgTemplate');
          throw new Error('error' in template ? template.error : 'database unavailable');
        });
        return;
      }
      let handle: TestDatabase | undefined;
      const ctx = {
        dialect,
        get handle() {
          if (!handle) throw new Error('database not ready yet (use it inside tests or beforeAll)');
          return handle;
        },
        get db() {
          return ctx.handle.db;
        },
      };
      beforeAll(async () => {
        handle = await createTestDatabase(dialect, options);
      });
      afterAll(async () => {
        await handle?.close();
      });
      body(ctx);
    });
  }
}
