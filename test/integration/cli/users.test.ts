import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startServer } from '../../support/cli.js';

describe('mailhelper users', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-users-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const env = { DATA_DIR: dataDir };

  it('refuses to work on a database that was never set up', async () => {
    const res = await runCli(['users', 'list'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('run `mailhelper migrate up`');
  });

  // Many CLI processes in a row: a generous hang guard, not a speed limit.
  it('adds, lists, disables, re-enables, sets passwords and deletes users while serve runs', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const server = await startServer(['serve', '--port', String(port)], env, port);
    try {
      expect(server.output()).toMatch(/one-time setup token: [\w-]{40,}/);
      const add = await runCli(['users', 'add', '--username', 'carol', '--password-stdin', '--admin'], env, 'carol-long-passphrase\n');
      expect(add.stderr).toBe('');
      expect(add.stdout).toMatch(/^created admin carol \([0-9a-f-]{36}\)$/m);
      const weak = await runCli(['users', 'add', '--username', 'dave', '--password-stdin'], env, 'password\n');
      expect(weak.code).toBe(1);
      expect(weak.stderr).toContain('PASSWORD_TOO_SHORT');
      expect((await runCli(['users', 'add', '--username', 'dave', '--password-stdin'], env, 'dave-long-passphrase')).code).toBe(0);

      const login = async (username: string, password: string) =>
        (await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })).status;
      expect(await login('carol', 'carol-long-passphrase')).toBe(200);

      const list = await runCli(['users', 'list'], env);
      expect(list.stdout).toMatch(/^carol\tadmin\tactive\t/m);
      expect(list.stdout).toMatch(/^dave\tuser\tactive\t/m);

      expect((await runCli(['users', 'disable', 'dave'], env)).stdout).toContain('dave disabled');
      expect(await login('dave', 'dave-long-passphrase')).toBe(403);
      expect((await runCli(['users', 'list'], env)).stdout).toMatch(/^dave\tuser\tdisabled\t/m);
      await runCli(['users', 'enable', 'dave'], env);
      expect(await login('dave', 'dave-long-passphrase')).toBe(200);

      expect((await runCli(['users', 'set-password', 'dave', '--password-stdin'], env, 'dave-second-passphrase')).code).toBe(0);
      expect(await login('dave', 'dave-second-passphrase')).toBe(200);

      // An operator's token works at once, even before the user has enrolled 2FA (required by default).
      const tokenRun = await runCli(['tokens', 'create', '--user', 'dave', '--name', 'backup'], env);
      expect(tokenRun.code).toBe(0);
      const token = tokenRun.stdout.trim();
      expect(token).toMatch(/^mh_[\w-]{43}$/);
      const me = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { username: string }).username).toBe('dave');
      expect((await runCli(['tokens', 'list', '--user', 'dave'], env)).stdout).toMatch(/\tbackup\tread,write\tlast used 20/);
      expect((await runCli(['tokens', 'create', '--user', 'dave', '--scopes', 'root'], env)).stderr).toContain('unknown scope(s): root');
      expect((await runCli(['users', 'reset-2fa', 'dave'], env)).stdout).toContain('two-factor sign-in of dave reset');

      expect((await runCli(['users', 'delete', 'dave'], env)).stderr).toContain('repeat with --yes');
      expect((await runCli(['users', 'delete', 'dave', '--yes'], env)).stdout).toContain('dave deleted');
      expect((await runCli(['users', 'delete', 'carol', '--yes'], env)).stderr).toContain('LAST_ADMIN');
      expect((await runCli(['users', 'disable', 'nobody'], env)).stderr).toContain('no user named "nobody"');
      expect((await runCli(['users', 'list'], env)).stdout).not.toContain('dave');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
