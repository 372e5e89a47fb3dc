import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactConfig } from '../../../src/config/index.js';

describe('configuration', () => {
  it('defaults to SQLite under ./data on 127.0.0.1:5003', () => {
    const c = loadConfig({});
    expect(c.database.dialect).toBe('sqlite');
    expect(c.database.sqlitePath).toBe(path.resolve('./data/mailhelper.db'));
    expect(c.database.sqliteCheckpointWorker).toBe(true);
    expect(loadConfig({ SQLITE_CHECKPOINT_WORKER: 'false' }).database.sqliteCheckpointWorker).toBe(false);
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 5003, trustProxy: [] });
    expect(c.redisUrl).toBeNull();
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT: must be a whole number$/],
    [{ PORT: '70000' }, /^PORT: must be between 0 and 65535$/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: /],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
    [{ ALLOW_PRIVATE_MAIL_HOSTS: 'maybe' }, /^ALLOW_PRIVATE_MAIL_HOSTS: must be 1\/0 or true\/false$/],
    [{ TRUST_PROXY: 'true' }, /^TRUST_PROXY: .*would trust every address/],
    [{ TRUST_PROXY: '10.0.0.1,example.com' }, /^TRUST_PROXY: "example.com" is not an IP address/],
    [{ PUBLIC_URL: 'ftp://x' }, /^PUBLIC_URL: must be a URL/],
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, /^REDIS_URL: cannot be combined with a SQLite DATABASE_URL/],
  ])('refuses %o with one line naming the variable', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('accepts 1/0 and true/false for booleans, flags override the environment', () => {
    expect(loadConfig({ ALLOW_PRIVATE_MAIL_HOSTS: '1' }).allowPrivateMailHosts).toBe(true);
    expect(loadConfig({ ALLOW_PRIVATE_MAIL_HOSTS: 'false' }).allowPrivateMailHosts).toBe(false);
    expect(loadConfig({ PORT: '6000' }, { port: '7000', host: '0.0.0.0' }).http).toMatchObject({ port: 7000, host: '0.0.0.0' });
  });

  it('PostgreSQL with Redis is a supported mode', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u:pw@db/mail', REDIS_URL: 'redis://r:6379' });
    expect(c.database.dialect).toBe('postgres');
    expect(c.redisUrl).toBe('redis://r:6379');
  });

  it('redacts passwords and secrets when printed', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u:hunter2secret@db/mail', MONITORING_TOKEN: 'mon-secret', MASTER_KEY: 'k'.repeat(44) });
    const text = JSON.stringify(redactConfig(c));
    expect(text).not.toContain('hunter2secret');
    expect(text).not.toContain('mon-secret');
    expect(text).not.toContain('kkkk');
    expect(text).toContain('postgres://u:redacted@db/mail');
  });
});
