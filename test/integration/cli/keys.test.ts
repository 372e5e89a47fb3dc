import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { createCrypto } from '../../../src/crypto/crypto.js';
import { selectKeySource } from '../../../src/crypto/key-providers.js';
import { parseKeyRing } from '../../../src/crypto/keyring.js';
import { loadMasterKeys } from '../../../src/crypto/master-keys.js';
import { createDatabase } from '../../../src/db/database.js';
import { freePort, runCli, startServer } from '../../support/cli.js';
import { insertTestUser } from '../../support/crypto.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-keys-cli-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function readyChecks(url: string): Promise<{ status: number; failing: string[]; names: string[] }> {
  const res = await fetch(`${url}/readyz`);
  const body = (await res.json()) as { failing?: string[]; checks: { name: string }[] };
  return { status: res.status, failing: body.failing ?? [], names: body.checks.map((c) => c.name) };
}

describe('mailhelper keys', () => {
  it('serve generates the key outside DATA_DIR; rotate, SIGHUP and retire keep every value readable', async () => {
    const dataDir = tempDir();
    const xdg = tempDir();
    const env = { DATA_DIR: dataDir, XDG_CONFIG_HOME: xdg, LOG_LEVEL: 'info' };
    const keyFile = path.join(xdg, 'mailhelper', 'master.key');
    const port = await freePort();
    const server = await startServer(['serve', '--port', String(port)], env, port);
    try {
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(server.output()).toContain('generated a new master key');
      expect(fs.readdirSync(dataDir).some((f) => f.includes('key'))).toBe(false);
      expect(await readyChecks(server.url)).toMatchObject({ status: 200, names: expect.arrayContaining(['keys']) });
      const oldId = parseKeyRing(fs.readFileSync(keyFile, 'utf8'), keyFile).activeId;

      // A user with encrypted data, written next to the running server.
      const handle = createDatabase(loadConfig({ DATA_DIR: dataDir }).database);
      const fileCrypto = async () =>
        createCrypto({
          ring: await loadMasterKeys(selectKeySource(loadConfig({ MASTER_KEY_FILE: keyFile }).keys, 'production', { mayGenerate: false })),
          db: handle.db,
        });
      const userId = await insertTestUser(handle.db);
      const sealed = (await (await fileCrypto()).ensureUserKey(userId)).sealText('message.subject.v1', 'm1', 'Invoice 42');

      const status = await runCli(['keys', 'status'], env);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`key ${oldId} (active): wraps 1 data key(s)`);
      expect(status.stdout).toContain('canary: ok');

      const rotate = await runCli(['keys', 'rotate'], env);
      expect(rotate.code, rotate.stderr).toBe(0);
      const ring = parseKeyRing(fs.readFileSync(keyFile, 'utf8'), keyFile);
      const newId = ring.activeId;
      expect(newId).not.toBe(oldId);
      expect(rotate.stdout).toContain(`added master key ${newId} (active)`);
      expect(rotate.stdout).toContain(`re-wrapped 1 of 1 data key(s)`);
      expect(rotate.stdout).toContain('SIGHUP');
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
      // The server still holds only the old key and stays ready.
      expect((await readyChecks(server.url)).status).toBe(200);

      expect((await runCli(['keys', 'retire', newId], env)).stderr).toContain('is the active key');

      server.child.kill('SIGHUP');
      await waitFor(() => server.output().includes('reloaded the master key ring'), 'the reload log line');
      const retire = await runCli(['keys', 'retire', oldId], env);
      expect(retire.code, retire.stderr).toBe(0);
      expect(retire.stdout).toContain(`removed 1 data-key wrap(s) made by ${oldId}`);
      expect([...parseKeyRing(fs.readFileSync(keyFile, 'utf8'), keyFile).keys.keys()]).toEqual([newId]);
      expect((await readyChecks(server.url)).status).toBe(200);
      // No key material ever reaches the logs or the command output.
      for (const key of ring.keys.values()) {
        expect(server.output() + rotate.stdout + retire.stdout).not.toContain(key.toString('base64'));
      }

      // Only the new key is left, and the data still opens.
      expect(await (await fileCrypto()).openText(userId, 'message.subject.v1', 'm1', sealed)).toBe('Invoice 42');
      await handle.close();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('a server whose key does not match the data starts but is not ready, and doctor names it', async () => {
    const dataDir = tempDir();
    const env = { DATA_DIR: dataDir, XDG_CONFIG_HOME: tempDir() };
    expect((await runCli(['migrate', 'up'], env)).code).toBe(0);
    const port = await freePort();
    const first = await startServer(['serve', '--port', String(port)], env, port);
    expect(await first.stop()).toBe(0);

    // The key is "lost": a new XDG directory means serve generates a different key.
    const lost = { ...env, XDG_CONFIG_HOME: tempDir() };
    const port2 = await freePort();
    const second = await startServer(['serve', '--port', String(port2)], lost, port2);
    try {
      expect(await readyChecks(second.url)).toMatchObject({ status: 503, failing: ['keys'] });
    } finally {
      expect(await second.stop()).toBe(0);
    }
    const doctor = await runCli(['doctor'], lost);
    expect(doctor.code).toBe(1);
    expect(doctor.stderr).toMatch(/doctor: key canary failed: the master key ring .* does not open this database's key canary/);

    // With no key file at all, doctor does not offer to generate one for a database that has encrypted data.
    const missing = await runCli(['doctor'], { ...env, XDG_CONFIG_HOME: tempDir() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/doctor: master key failed: .*master\.key is missing, but this database was encrypted/);
  });

  it('doctor warns when the key file lies inside DATA_DIR; MASTER_KEY is refused in production', async () => {
    const dataDir = tempDir();
    const keyFile = path.join(dataDir, 'master.key');
    fs.writeFileSync(keyFile, `${Buffer.alloc(32, 3).toString('base64')}\n`, { mode: 0o600 });
    const env = { DATA_DIR: dataDir, MASTER_KEY_FILE: keyFile };
    expect((await runCli(['migrate', 'up'], env)).code).toBe(0);
    const doctor = await runCli(['doctor'], env);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/^WARN {2}master key location: .*lies inside DATA_DIR/m);

    const prod = await runCli(['serve', '--port', String(await freePort())], { DATA_DIR: dataDir, MASTER_KEY: Buffer.alloc(32, 1).toString('base64') });
    expect(prod.code).toBe(1);
    expect(prod.stderr.trim()).toBe('mailhelper: MASTER_KEY is for development only; in production use MASTER_KEY_FILE or MASTER_KEY_COMMAND');
  });

  it('with MASTER_KEY_COMMAND, rotate re-wraps to the command\'s active key or explains how to add one', async () => {
    const dataDir = tempDir();
    const ringFile = path.join(tempDir(), 'ring');
    fs.writeFileSync(ringFile, `a:${Buffer.alloc(32, 5).toString('base64')}\n`);
    const env = { DATA_DIR: dataDir, MASTER_KEY_COMMAND: `cat '${ringFile}'` };
    expect((await runCli(['migrate', 'up'], env)).code).toBe(0);
    const rotate = await runCli(['keys', 'rotate'], env);
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(rotate.stdout).toContain('cannot add a key');
    expect(rotate.stdout).toContain('openssl rand -base64 32');
    for (const cmd of [['keys'], ['keys', 'status'], ['keys', 'rotate'], ['keys', 'rewrap'], ['keys', 'retire']]) {
      const help = await runCli([...cmd, '--help']);
      expect(help.code, cmd.join(' ')).toBe(0);
      expect(help.stdout).toMatch(/Usage: mailhelper keys/);
    }
  });
});
