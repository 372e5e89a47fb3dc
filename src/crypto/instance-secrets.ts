import { hkdfSync } from 'node:crypto';
import type { Executor } from '../db/schema.js';
import { userKeyRepository } from '../repositories/user-keys.js';
import { ensureCanary, openCanary, KeyRingMismatchError } from './canary.js';
import { openWithKey, sealWithKey } from './envelope.js';
import type { MasterKeys } from './master-keys.js';

/**
 * Seals instance-level secrets that belong to no user (an admin's LLM provider API keys).
 *
 * The key is derived (HKDF, per purpose) from the key canary's secret: a random 32-byte value kept in
 * app_settings wrapped by every master key of the ring, re-wrapped for new ring keys at every start
 * and reload. So these secrets follow master-key rotation like user data keys do, a copy of the
 * database without the master key cannot open them, and nothing new has to be stored.
 */
export interface InstanceSealer {
  sealText(context: string, rowId: string, plaintext: string): Promise<Buffer>;
  openText(context: string, rowId: string, sealed: Buffer): Promise<string>;
}

const INSTANCE = 'instance';

export function createInstanceSealer(deps: { ring: MasterKeys; db: Executor }): InstanceSealer {
  let cached: { secret: Buffer; key: Buffer } | null = null;
  async function key(): Promise<Buffer> {
    let secret = await openCanary(deps.ring.current(), userKeyRepository, deps.db);
    if (!secret) {
      // A database the server has not started on yet (tests, CLI): create the canary as `serve` would.
      await ensureCanary(deps.ring.current(), userKeyRepository, deps.db);
      secret = await openCanary(deps.ring.current(), userKeyRepository, deps.db);
    }
    if (!secret) throw new KeyRingMismatchError('no key canary yet; it is created when the server starts');
    if (cached && cached.secret.equals(secret)) return cached.key;
    const derived = Buffer.from(hkdfSync('sha256', secret, Buffer.from(INSTANCE, 'utf8'), 'mailhelper.instance-secrets.v1', 32));
    cached = { secret, key: derived };
    return derived;
  }
  return {
    async sealText(context, rowId, plaintext) {
      return sealWithKey(await key(), 1, { context, rowId, userId: INSTANCE }, Buffer.from(plaintext, 'utf8'));
    },
    async openText(context, rowId, sealed) {
      return openWithKey(await key(), { context, rowId, userId: INSTANCE }, sealed).toString('utf8');
    },
  };
}
