import fs from 'node:fs';
import type { Config } from '../config/index.js';
import type { Executor } from '../db/schema.js';
import { userKeyRepository } from '../repositories/user-keys.js';
import { openCanary } from './canary.js';
import { isInside, selectKeySource } from './key-providers.js';
import type { KeyRing } from './keyring.js';

export interface KeyCheck {
  name: string;
  ok: boolean;
  warn?: boolean;
  detail: string;
}

/**
 * `doctor`'s key checks: the ring loads (without creating a key), where it lives, and — when the
 * database is reachable and current — that the ring opens the database's key canary.
 */
export async function keyDoctorChecks(config: Config, db: Executor | null, env: NodeJS.ProcessEnv = process.env): Promise<KeyCheck[]> {
  const checks: KeyCheck[] = [];
  let ring: KeyRing | null = null;
  try {
    const source = selectKeySource(config.keys, config.env, { mayGenerate: false, env });
    if (source.kind === 'default-file' && !fs.existsSync(source.file!)) {
      // No key is fine for a new instance, but not for a database that already holds encrypted data.
      const hasCanary = db ? (await userKeyRepository.canaries(db)).size > 0 : false;
      checks.push(
        hasCanary
          ? { name: 'master key', ok: false, detail: `${source.file} is missing, but this database was encrypted with a master key: restore the key file from your backup` }
          : { name: 'master key', ok: true, detail: `none yet; \`mailhelper serve\` generates one at ${source.file}` },
      );
    } else {
      ring = await source.load();
      const where = source.kind === 'command' ? 'MASTER_KEY_COMMAND' : source.kind === 'env' ? 'MASTER_KEY (development only)' : source.describe;
      checks.push({ name: 'master key', ok: true, detail: `${where}: ${ring.keys.size} key(s), active ${ring.activeId}` });
    }
    if (source.file) {
      if (isInside(source.file, config.dataDir)) {
        checks.push({
          name: 'master key location',
          ok: true,
          warn: true,
          detail: `${source.file} lies inside DATA_DIR (${config.dataDir}): a copy or backup of the data would carry the key; keep it elsewhere`,
        });
      } else if (fs.existsSync(source.file) && (fs.statSync(source.file).mode & 0o077) !== 0) {
        checks.push({ name: 'master key location', ok: true, warn: true, detail: `${source.file} is readable by other users; chmod 600 it` });
      } else {
        checks.push({ name: 'master key location', ok: true, detail: 'outside DATA_DIR' });
      }
    }
  } catch (err) {
    checks.push({ name: 'master key', ok: false, detail: (err as Error).message });
    return checks;
  }
  if (db && ring) {
    try {
      const secret = await openCanary(ring, userKeyRepository, db);
      checks.push({ name: 'key canary', ok: true, detail: secret ? 'the ring opens this database\'s canary' : 'none yet; created at the first start' });
    } catch (err) {
      checks.push({ name: 'key canary', ok: false, detail: (err as Error).message });
    }
  }
  return checks;
}
