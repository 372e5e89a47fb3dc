import { AppError } from '../errors.js';
import type { Executor } from '../db/schema.js';
import { userKeyRepository, type StoredWrap, type UserKeyRepository } from '../repositories/user-keys.js';
import { checkCanary, ensureCanary, openCanary } from './canary.js';
import { DecryptError, newDataKey, openWithKey, sealedKeyVersion, unwrapDataKey, wrapDataKey } from './envelope.js';
import { CONTENT_HASH_PURPOSE, deriveHashKey, keyedHash, type HashInput } from './keyed-hash.js';
import type { KeyRing } from './keyring.js';
import { sealerFromKeys, type SealingKeys } from './sealer.js';
import type { MasterKeys } from './master-keys.js';

/**
 * One user's unwrapped keys. Every method is synchronous, so it can be used inside a database
 * transaction: get it with `crypto.forUser` / `crypto.ensureUserKey` BEFORE opening the transaction
 * (on SQLite, reading the key with `db` inside a transaction would deadlock).
 */
export interface UserCipher {
  readonly userId: string;
  sealText(context: string, rowId: string, plaintext: string): Buffer;
  openText(context: string, rowId: string, sealed: Buffer): string;
  sealBytes(context: string, rowId: string, plaintext: Buffer): Buffer;
  openBytes(context: string, rowId: string, sealed: Buffer): Buffer;
  /** Keyed HMAC for equality lookups and grouping; normalise the value first (e.g. lower-case an address). */
  lookupHash(purpose: string, value: HashInput): Buffer;
  /** Keyed hash of message content (chunks of one byte stream), for message identity across copies. */
  contentHash(content: HashInput): Buffer;
  /** Key material for a `Sealer` on this process's parse workers (see sealer.ts); never log or persist it. */
  sealingKeys(): SealingKeys;
}

export interface Crypto {
  /** The user's cipher; throws USER_KEY_MISSING when the user has no data key yet. */
  forUser(userId: string, ex?: Executor): Promise<UserCipher>;
  /** The user's cipher, creating the data key if needed. Pass the transaction that creates the user, if any. */
  ensureUserKey(userId: string, ex?: Executor): Promise<UserCipher>;
  sealText(userId: string, context: string, rowId: string, plaintext: string): Promise<Buffer>;
  openText(userId: string, context: string, rowId: string, sealed: Buffer): Promise<string>;
  sealBytes(userId: string, context: string, rowId: string, plaintext: Buffer): Promise<Buffer>;
  openBytes(userId: string, context: string, rowId: string, sealed: Buffer): Promise<Buffer>;
  lookupHash(userId: string, purpose: string, value: HashInput): Promise<Buffer>;
  contentHash(userId: string, content: HashInput): Promise<Buffer>;
  /** Ids in this process's ring, the active one last. */
  ringInfo(): { source: string; keyIds: string[]; activeId: string };
  /** Reloads the master key ring (SIGHUP); the new ring is used only if it opens the key canary. */
  reload(): Promise<void>;
  ensureCanary(ex?: Executor): Promise<void>;
  checkCanary(ex?: Executor): Promise<void>;
  /** Drops a user's keys from memory (after the user is deleted). */
  forget(userId: string): void;
}

export class UserKeyMissingError extends AppError {
  constructor() {
    super('USER_KEY_MISSING', 'this user has no data key yet', 500);
  }
}

export class MasterKeyUnavailableError extends AppError {
  constructor(ids: string[]) {
    super(
      'MASTER_KEY_UNAVAILABLE',
      `the user's data key is wrapped only by master key(s) ${ids.join(', ')}, which this process's ring lacks; reload the ring (SIGHUP) or restore the key`,
      500,
    );
  }
}

export interface CryptoDeps {
  ring: MasterKeys;
  db: Executor;
  repo?: Pick<UserKeyRepository, 'wrapsForUser' | 'insertKey' | 'canaries' | 'addCanary'>;
  /** How many users' unwrapped keys stay in memory. */
  cacheSize?: number;
}

const FIRST_VERSION = 1;

export function createCrypto(deps: CryptoDeps): Crypto {
  const repo = deps.repo ?? userKeyRepository;
  const cacheSize = deps.cacheSize ?? 1000;
  // Insertion-ordered Map as an LRU: a hit moves the entry to the end, eviction takes the first.
  const cache = new Map<string, UserCipher>();

  const remember = (cipher: UserCipher) => {
    cache.delete(cipher.userId);
    cache.set(cipher.userId, cipher);
    while (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    return cipher;
  };

  async function forUser(userId: string, ex: Executor = deps.db): Promise<UserCipher> {
    const hit = cache.get(userId);
    if (hit) return remember(hit);
    const wraps = await repo.wrapsForUser(ex, userId);
    if (wraps.length === 0) throw new UserKeyMissingError();
    return remember(buildCipher(userId, unwrapAll(deps.ring.current(), userId, wraps)));
  }

  async function ensureUserKey(userId: string, ex: Executor = deps.db): Promise<UserCipher> {
    try {
      return await forUser(userId, ex);
    } catch (err) {
      if (!(err instanceof UserKeyMissingError)) throw err;
    }
    const ring = deps.ring.current();
    const dataKey = newDataKey();
    // Wrapped by every key in the ring, so a process that has not reloaded after a rotation can open it too.
    const wraps = [...ring.keys].map(([id, key]) => ({
      masterKeyId: id,
      wrapped: wrapDataKey(key, id, dataKey, { userId, version: FIRST_VERSION }),
    }));
    const inserted = ex.isTransaction
      ? await repo.insertKey(ex, userId, FIRST_VERSION, wraps)
      : await ex.transaction().execute((trx) => repo.insertKey(trx, userId, FIRST_VERSION, wraps));
    if (!inserted) return forUser(userId, ex); // another process created it first
    return remember(buildCipher(userId, new Map([[FIRST_VERSION, dataKey]])));
  }

  return {
    forUser,
    ensureUserKey,
    sealText: async (userId, context, rowId, plaintext) => (await forUser(userId)).sealText(context, rowId, plaintext),
    openText: async (userId, context, rowId, sealed) => (await forUser(userId)).openText(context, rowId, sealed),
    sealBytes: async (userId, context, rowId, plaintext) => (await forUser(userId)).sealBytes(context, rowId, plaintext),
    openBytes: async (userId, context, rowId, sealed) => (await forUser(userId)).openBytes(context, rowId, sealed),
    lookupHash: async (userId, purpose, value) => (await forUser(userId)).lookupHash(purpose, value),
    contentHash: async (userId, content) => (await forUser(userId)).contentHash(content),
    ringInfo() {
      const ring = deps.ring.current();
      const ids = [...ring.keys.keys()].filter((id) => id !== ring.activeId);
      return { source: deps.ring.source.describe, keyIds: [...ids, ring.activeId], activeId: ring.activeId };
    },
    async reload() {
      await deps.ring.reload(async (next) => {
        await openCanary(next, repo, deps.db);
      });
      await ensureCanary(deps.ring.current(), repo, deps.db);
    },
    ensureCanary: (ex = deps.db) => ensureCanary(deps.ring.current(), repo, ex),
    checkCanary: (ex = deps.db) => checkCanary(deps.ring.current(), repo, ex),
    forget(userId) {
      cache.delete(userId);
    },
  };
}

/** Unwraps every version of a user's data key, preferring the active master key. */
function unwrapAll(ring: KeyRing, userId: string, wraps: StoredWrap[]): Map<number, Buffer> {
  const byVersion = new Map<number, StoredWrap[]>();
  for (const w of wraps) byVersion.set(w.version, [...(byVersion.get(w.version) ?? []), w]);
  const keys = new Map<number, Buffer>();
  for (const [version, list] of byVersion) {
    const usable = list
      .filter((w) => ring.keys.has(w.masterKeyId))
      .sort((a, b) => Number(b.masterKeyId === ring.activeId) - Number(a.masterKeyId === ring.activeId));
    if (usable.length === 0) throw new MasterKeyUnavailableError(list.map((w) => w.masterKeyId));
    const w = usable[0]!;
    keys.set(version, unwrapDataKey(ring.keys.get(w.masterKeyId)!, w.masterKeyId, w.wrapped, { userId, version }));
  }
  return keys;
}

function buildCipher(userId: string, keys: Map<number, Buffer>): UserCipher {
  const activeVersion = Math.max(...keys.keys());
  // Hash keys come from the first data key, so lookup hashes stay stable if a newer data key is added.
  const hashBase = keys.get(Math.min(...keys.keys()))!;
  const hashKeys = new Map<string, Buffer>();
  const hashKey = (purpose: string) => {
    let k = hashKeys.get(purpose);
    if (!k) hashKeys.set(purpose, (k = deriveHashKey(hashBase, userId, purpose)));
    return k;
  };
  const sealing: SealingKeys = { userId, version: activeVersion, dataKey: keys.get(activeVersion)!, contentHashKey: hashKey(CONTENT_HASH_PURPOSE) };
  // The same sealer a parse worker builds from these keys: both threads seal and hash alike.
  const sealer = sealerFromKeys(sealing);
  const seal = sealer.sealBytes;
  const open = (context: string, rowId: string, sealed: Buffer) => {
    const key = keys.get(sealedKeyVersion(sealed));
    if (!key) throw new DecryptError('stored value needs a data-key version this user does not have');
    return openWithKey(key, { context, rowId, userId }, sealed);
  };
  return {
    userId,
    sealText: (context, rowId, plaintext) => seal(context, rowId, Buffer.from(plaintext, 'utf8')),
    openText: (context, rowId, sealed) => open(context, rowId, sealed).toString('utf8'),
    sealBytes: seal,
    openBytes: open,
    lookupHash: (purpose, value) => keyedHash(hashKey(purpose), value),
    contentHash: sealer.contentHash,
    sealingKeys: () => sealing,
  };
}
