import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { defaultMasterKeyPath, isInside, selectKeySource } from '../../../src/crypto/key-providers.js';
import { loadMasterKeys } from '../../../src/crypto/master-keys.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-keys-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const keysOf = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'production', ...env }).keys;
const b64 = () => randomBytes(32).toString('base64');

describe('the embedded default key', () => {
  it('lives under $XDG_CONFIG_HOME (else ~/.config), is generated once by serve with mode 0600, and then reused', async () => {
    expect(defaultMasterKeyPath({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/a' })).toBe('/x/cfg/mailhelper/master.key');
    expect(defaultMasterKeyPath({ HOME: '/home/a' })).toBe('/home/a/.config/mailhelper/master.key');
    expect(defaultMasterKeyPath({ XDG_CONFIG_HOME: 'relative', HOME: '/home/a' })).toBe('/home/a/.config/mailhelper/master.key');

    const env = { XDG_CONFIG_HOME: path.join(root, 'xdg') };
    const file = defaultMasterKeyPath(env);
    const web = selectKeySource(keysOf({}), 'production', { mayGenerate: false, env });
    await expect(web.load()).rejects.toThrow(/only `mailhelper serve` generates one; set MASTER_KEY_FILE/);
    expect(fs.existsSync(file)).toBe(false);

    const serve = selectKeySource(keysOf({}), 'production', { mayGenerate: true, env });
    expect(serve.kind).toBe('default-file');
    const first = await serve.load();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const second = await serve.load();
    expect(second.activeId).toBe(first.activeId);
    expect(second.keys.get(second.activeId)).toEqual(first.keys.get(first.activeId));
    // Once it exists, web/worker on the same machine use it too.
    expect((await web.load()).activeId).toBe(first.activeId);
  });
});

describe('MASTER_KEY_FILE', () => {
  it('reads the ring from the file and names the file when it is missing', async () => {
    const file = path.join(root, 'ring.key');
    fs.writeFileSync(file, `a:${b64()}\nb:${b64()}\n`, { mode: 0o600 });
    const ring = await selectKeySource(keysOf({ MASTER_KEY_FILE: file }), 'production', { mayGenerate: true }).load();
    expect(ring.activeId).toBe('b');
    const missing = selectKeySource(keysOf({ MASTER_KEY_FILE: path.join(root, 'nope.key') }), 'production', { mayGenerate: true });
    await expect(missing.load()).rejects.toThrow(/cannot read the master key file .*nope\.key \(ENOENT\)/);
    expect(fs.existsSync(path.join(root, 'nope.key'))).toBe(false);
  });

  it('refuses two sources at once', () => {
    expect(() => selectKeySource(keysOf({ MASTER_KEY_FILE: '/x', MASTER_KEY_COMMAND: 'echo' }), 'production', { mayGenerate: true })).toThrow(
      /set only one of MASTER_KEY_FILE, MASTER_KEY_COMMAND/,
    );
  });
});

describe('MASTER_KEY_COMMAND', () => {
  it('runs through sh -c, once per load (start and reload), never per use', async () => {
    const counter = path.join(root, 'runs');
    const key = b64();
    const command = `echo run >> '${counter}'; printf 'one:%s\\n' '${key}' | cat`;
    const source = selectKeySource(keysOf({ MASTER_KEY_COMMAND: command }), 'production', { mayGenerate: false });
    const keys = await loadMasterKeys(source);
    for (let i = 0; i < 50; i++) keys.current();
    expect(keys.current().activeId).toBe('one');
    expect(keys.current().keys.get('one')!.toString('base64')).toBe(key);
    expect(fs.readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(1);
    await keys.reload();
    expect(fs.readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('reports a failing or hanging command without its output, and a failed reload keeps the old ring', async () => {
    const secretOutput = 'leaky-diagnostic-output';
    const failing = selectKeySource(keysOf({ MASTER_KEY_COMMAND: `echo ${secretOutput}; echo ${secretOutput} >&2; exit 3` }), 'production', {
      mayGenerate: false,
    });
    const err = await failing.load().catch((e: Error) => e);
    expect((err as Error).message).toBe('MASTER_KEY_COMMAND failed (exit 3); run it by hand to see its output');

    const slow = selectKeySource(keysOf({ MASTER_KEY_COMMAND: 'exec sleep 5' }), 'production', { mayGenerate: false, commandTimeoutMs: 200 });
    await expect(slow.load()).rejects.toThrow(/MASTER_KEY_COMMAND timed out/);

    const flag = path.join(root, 'broken');
    const key = b64();
    const flaky = selectKeySource(
      keysOf({ MASTER_KEY_COMMAND: `if [ -e '${flag}' ]; then echo garbage; else echo 'k:${key}'; fi` }),
      'production',
      { mayGenerate: false },
    );
    const keys = await loadMasterKeys(flaky);
    fs.writeFileSync(flag, '');
    await expect(keys.reload()).rejects.toThrow(/MASTER_KEY_COMMAND output line 1/);
    expect(keys.current().activeId).toBe('k');
  });
});

describe('MASTER_KEY', () => {
  it('works in development and test, and is refused in production', async () => {
    const key = b64();
    const dev = selectKeySource(keysOf({ MASTER_KEY: key }), 'development', { mayGenerate: true });
    expect(dev.kind).toBe('env');
    expect((await dev.load()).keys.size).toBe(1);
    expect(() => selectKeySource(keysOf({ MASTER_KEY: key }), 'production', { mayGenerate: true })).toThrow(/development only/);
  });
});

describe('isInside', () => {
  it('tells whether a key file lies within the data directory', () => {
    expect(isInside('/srv/data/keys/master.key', '/srv/data')).toBe(true);
    expect(isInside('/srv/data', '/srv/data')).toBe(true);
    expect(isInside('/srv/data-keys/master.key', '/srv/data')).toBe(false);
    expect(isInside('/etc/mailhelper/master.key', '/srv/data')).toBe(false);
  });
});
