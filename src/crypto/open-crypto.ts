import fs from 'node:fs';
import type { Config } from '../config/index.js';
import type { Executor } from '../db/schema.js';
import type { Logger } from '../observability/logger.js';
import { createCrypto, type Crypto } from './crypto.js';
import { isInside, selectKeySource, type KeySource } from './key-providers.js';
import { loadMasterKeys, type MasterKeys } from './master-keys.js';

export interface KeyRingOptions {
  /** Only `serve` creates the default key file when it is missing. */
  mayGenerate: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Picks the configured source and loads the ring once, warning about risky set-ups. */
export async function loadConfiguredKeys(config: Config, logger: Logger, options: KeyRingOptions): Promise<MasterKeys> {
  const source: KeySource = selectKeySource(config.keys, config.env, { mayGenerate: options.mayGenerate, env: options.env });
  const existedBefore = source.file ? fs.existsSync(source.file) : true;
  const keys = await loadMasterKeys(source);
  if (source.kind === 'env') {
    logger.warn('master key from MASTER_KEY: for development only; use MASTER_KEY_FILE or MASTER_KEY_COMMAND in production');
  }
  if (!existedBefore) {
    logger.warn({ file: source.file }, 'generated a new master key; back it up apart from the data directory (see docs/security.md)');
  }
  if (source.file && isInside(source.file, config.dataDir)) {
    logger.warn({ file: source.file }, 'the master key lies inside DATA_DIR: a copy of the data is then a copy of the key');
  }
  return keys;
}

/** The crypto service for a long-running process; a ring that does not match the database is logged, and readiness reports it. */
export async function openCrypto(keys: MasterKeys, db: Executor, logger: Logger): Promise<Crypto> {
  const crypto = createCrypto({ ring: keys, db });
  try {
    await crypto.ensureCanary();
  } catch (err) {
    logger.error({ code: (err as { code?: string }).code }, (err as Error).message);
  }
  return crypto;
}

/** SIGHUP re-reads the ring (runs MASTER_KEY_COMMAND again); a failed reload keeps the old ring. */
export function reloadKeysOnSighup(crypto: Pick<Crypto, 'reload' | 'ringInfo'>, logger: Logger): () => void {
  const onHup = () => {
    crypto.reload().then(
      () => logger.info({ keys: crypto.ringInfo().keyIds, active: crypto.ringInfo().activeId }, 'reloaded the master key ring'),
      (err: Error) => logger.error({ code: (err as { code?: string }).code }, `master key ring not reloaded, keeping the old one: ${err.message}`),
    );
  };
  process.on('SIGHUP', onHup);
  return () => process.off('SIGHUP', onHup);
}
