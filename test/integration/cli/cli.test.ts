import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import SQLite from 'better-sqlite3';
import { freePort, probeStatus, runCli, startServer } from '../../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { serviceMissing } from '../../support/services.js';

const dirs: string[] = [];
function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-cli-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('mailhelper CLI', () => {
  it('every command has a useful --help', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['serve', 'web', 'worker', 'migrate', 'doctor', 'users']) expect(top.stdout).toContain(cmd);
    for (const cmd of [['serve'], ['web'], ['worker'], ['migrate'], ['migrate', 'up'], ['migrate', 'down'], ['migrate', 'status'], ['doctor'], ['users'], ['users', 'add'], ['users', 'reset-2fa'], ['tokens', 'create'], ['keys']]) {
      const res = await runCli([...cmd, '--help']);
      expect(res.code, cmd.join(' ')).toBe(0);
      expect(res.stdout).toMatch(/Usage: mailhelper/);
    }
    expect((await runCli(['serve', '--help'])).stdout).toContain('--https');
  });

  it('serve starts on SQLite with WAL and foreign keys, migrated, and a second serve on the same data refuses', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const first = await startServer(['serve', '--port', String(port)], { DATA_DIR: dataDir }, port);
    try {
      const ready = await fetch(`${first.url}/readyz`);
      expect(ready.status).toBe(200);

      const second = await runCli(['serve', '--port', String(await freePort())], { DATA_DIR: dataDir });
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`another mailhelper serve is already running on ${dataDir} (pid ${first.child.pid})`);

      const conn = new SQLite(path.join(dataDir, 'mailhelper.db'), { readonly: true });
      expect(conn.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(conn.prepare('select name from schema_migrations').all().length).toBeGreaterThan(0);
      conn.close();

      // Other CLI commands keep working on the same data while serve runs.
      const status = await runCli(['migrate', 'status'], { DATA_DIR: dataDir });
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/^applied {2}0002-users$/m);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    // The lock dies with the process: a restart reuses everything.
    const port2 = await freePort();
    const again = await startServer(['serve', '--port', String(port2)], { DATA_DIR: dataDir }, port2);
    expect(again.output()).not.toContain('applied database migrations');
    expect(await again.stop()).toBe(0);
  });

  it('serve --https generates a self-signed certificate and warns clearly', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const server = await startServer(['serve', '--https', '--port', String(port)], { DATA_DIR: dataDir }, port, true);
    expect(await probeStatus(`${server.url}/readyz`)).toBe(200);
    expect(fs.existsSync(path.join(dataDir, 'tls/self-signed.crt'))).toBe(true);
    expect(server.output()).toContain('SELF-SIGNED');
    expect(await server.stop()).toBe(0);
  });

  it('refuses bad settings and unsupported modes with one clear line', async () => {
    const dataDir = tempDataDir();
    const badPort = await runCli(['serve'], { DATA_DIR: dataDir, PORT: 'eighty' });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr.trim()).toBe('mailhelper: configuration error: PORT: must be a whole number');

    const web = await runCli(['web'], { DATA_DIR: dataDir });
    expect(web.code).toBe(1);
    expect(web.stderr).toContain('`mailhelper web` needs PostgreSQL');
    const worker = await runCli(['worker'], { DATA_DIR: dataDir });
    expect(worker.stderr).toContain('`mailhelper worker` needs PostgreSQL');

    const redis = await runCli(['serve'], { DATA_DIR: dataDir, REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(redis.code).toBe(2);
    expect(redis.stderr).toContain('REDIS_URL: cannot be combined with a SQLite DATABASE_URL');
  });

  it('doctor prints the redacted config and names the first failure', async () => {
    const dataDir = tempDataDir();
    const fresh = await runCli(['doctor'], { DATA_DIR: dataDir, MONITORING_TOKEN: 'very-secret-token' });
    expect(fresh.code).toBe(1);
    expect(fresh.stdout).not.toContain('very-secret-token');
    expect(fresh.stdout).toContain('"monitoringToken": "[redacted]"');
    expect(fresh.stderr).toMatch(/doctor: migrations failed: .*schema is behind/);

    expect((await runCli(['migrate', 'up'], { DATA_DIR: dataDir })).stdout).toContain('applied: 0001-app-settings, 0002-users');
    const ok = await runCli(['doctor'], { DATA_DIR: dataDir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('all checks passed');

    const pgDown = await runCli(['doctor'], { DATA_DIR: dataDir, DATABASE_URL: 'postgres://postgres:pw@127.0.0.1:1/x' });
    expect(pgDown.code).toBe(1);
    expect(pgDown.stderr).toMatch(/doctor: database failed/);
    expect(pgDown.stdout).toContain('postgres://postgres:redacted@127.0.0.1:1/x');
  });
});

describe('mailhelper on PostgreSQL', () => {
  const template = inject('pgTemplate');
  const state = 'error' in template ? serviceMissing(template.error) : 'ok';
  let database: TestDatabase | undefined;
  afterAll(async () => database?.close());

  it.skipIf(state === 'skip')('web and worker refuse a schema that is behind until migrate up has run', async () => {
    if (state === 'fail') throw new Error((template as { error: string }).error);
    database = await createTestDatabase('postgres', { empty: true });
    // web never generates a master key (several machines must share one), so it is given one.
    const keyFile = path.join(tempDataDir(), 'master.key');
    fs.writeFileSync(keyFile, `k1:${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
    const env = { DATABASE_URL: database.url, DATA_DIR: tempDataDir(), MASTER_KEY_FILE: keyFile };
    const web = await runCli(['web', '--port', String(await freePort())], env);
    expect(web.code).toBe(1);
    expect(web.stderr).toContain('run `mailhelper migrate up`');

    expect((await runCli(['migrate', 'up'], env)).code).toBe(0);
    const port = await freePort();
    const server = await startServer(['web', '--port', String(port)], env, port);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(await server.stop()).toBe(0);
  });
});
