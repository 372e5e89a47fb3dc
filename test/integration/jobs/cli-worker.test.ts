import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { cliPath } from '../../support/build.js';
import { cliEnv, freePort, startServer } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { waitUntil } from '../../support/job-harness.js';
import { serviceMissing } from '../../support/services.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('the job loop in the real commands', () => {
  it('serve (SQLite) runs jobs in-process: the daily history prune runs at start; /readyz checks the queue', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-jobs-'));
    dirs.push(dataDir);
    const port = await freePort();
    const server = await startServer(['serve', '--port', String(port)], { DATA_DIR: dataDir }, port);
    try {
      const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { checks: { name: string }[] };
      expect(ready.checks.map((c: { name: string }) => c.name)).toContain('queue');
      const conn = new SQLite(path.join(dataDir, 'mailhelper.db'), { readonly: true, timeout: 5000 });
      await waitUntil('the prune job to complete', async () =>
        conn.prepare(`select 1 from job_runs where type = 'jobs.prune-history' and state = 'completed'`).get(),
      );
      conn.close();
      expect((await fetch(`${server.url}/api/jobs`)).status).toBe(401);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  const template = inject('pgTemplate');
  const state = 'error' in template ? serviceMissing(template.error) : 'ok';
  let database: TestDatabase | undefined;
  afterAll(async () => database?.close());

  it.skipIf(state === 'skip')('worker (PostgreSQL) runs the embedded loop, registers itself, and leaves cleanly on SIGTERM', async () => {
    if (state === 'fail') throw new Error((template as { error: string }).error);
    database = await createTestDatabase('postgres');
    const child = spawn(process.execPath, [cliPath, 'worker'], { env: cliEnv({ DATABASE_URL: database.url, JOBS_CONCURRENCY: '3' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const db = database.db;
      await waitUntil('the prune job to complete', async () =>
        db.selectFrom('job_runs').select('id').where('type', '=', 'jobs.prune-history').where('state', '=', 'completed').executeTakeFirst(),
      );
      const worker = await db.selectFrom('workers').selectAll().where('pid', '=', child.pid!).executeTakeFirstOrThrow();
      expect(worker).toMatchObject({ concurrency: 3 });
    } catch (err) {
      throw new Error(`${(err as Error).message}\nworker output:\n${output}`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(await database.db.selectFrom('workers').selectAll().where('pid', '=', child.pid!).execute()).toEqual([]);
  });
});
