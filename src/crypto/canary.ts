import { AppError } from '../errors.js';
import type { Executor } from '../db/schema.js';
import type { UserKeyRepository } from '../repositories/user-keys.js';
import { newDataKey, unwrapDataKey, wrapDataKey } from './envelope.js';
import type { KeyRing } from './keyring.js';

/**
 * The canary is a random secret wrapped by each master key, kept in app_settings. If a ring opens
 * it, the ring belongs to this database; if not, the process holds the wrong (or a retired) key.
 */
export class KeyRingMismatchError extends AppError {
  constructor(message: string) {
    super('KEY_RING_MISMATCH', message, 500);
    this.name = 'KeyRingMismatchError';
  }
}

type CanaryRepo = Pick<UserKeyRepository, 'canaries' | 'addCanary'>;

/** Opens the canary with any key of the ring; returns its secret, or null when there is no canary yet. */
export async function openCanary(ring: KeyRing, repo: CanaryRepo, ex: Executor): Promise<Buffer | null> {
  const canaries = await repo.canaries(ex);
  if (canaries.size === 0) return null;
  for (const [id, wrapped] of canaries) {
    const key = ring.keys.get(id);
    if (!key) continue;
    try {
      return unwrapDataKey(key, id, wrapped, 'canary');
    } catch {
      // A canary under an id we hold that does not open: same id, different key. Try the others.
    }
  }
  throw new KeyRingMismatchError(
    `the master key ring (${[...ring.keys.keys()].join(', ')}) does not open this database's key canary ` +
      `(wrapped by ${[...canaries.keys()].join(', ')}): this process holds the wrong or a retired key; ` +
      'restore the right key, or reload (SIGHUP) after a rotation',
  );
}

/** Creates the canary on a new database, and adds a wrap for every ring key that lacks one. */
export async function ensureCanary(ring: KeyRing, repo: CanaryRepo, ex: Executor): Promise<void> {
  const existing = await repo.canaries(ex);
  const secret = (await openCanary(ring, repo, ex)) ?? newDataKey();
  for (const [id, key] of ring.keys) {
    if (!existing.has(id)) await repo.addCanary(ex, id, wrapDataKey(key, id, secret, 'canary'));
  }
}

/** For readiness: throws unless the ring opens the canary. */
export async function checkCanary(ring: KeyRing, repo: CanaryRepo, ex: Executor): Promise<void> {
  const secret = await openCanary(ring, repo, ex);
  if (!secret) throw new KeyRingMismatchError('no key canary in the database yet; it is created when `mailhelper serve`, `web` or `worker` starts');
}
