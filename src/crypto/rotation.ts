import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../db/schema.js';
import { refKey, userKeyRepository, type UserKeyRepository } from '../repositories/user-keys.js';
import { ensureCanary, openCanary } from './canary.js';
import { unwrapDataKey, wrapDataKey } from './envelope.js';
import { ringWithout, type KeyRing } from './keyring.js';

export class RetireRefusedError extends AppError {
  constructor(message: string) {
    super('KEY_RETIRE_REFUSED', message, 409);
    this.name = 'RetireRefusedError';
  }
}

export interface RewrapResult {
  dataKeys: number;
  /** Data keys that got a new wrap under the active key. */
  rewrapped: number;
  /** Data keys no key of the ring can open; they are listed by count only and left as they are. */
  unreadable: number;
}

/**
 * Gives every data key a wrap under the ring's active key, unwrapping it with any key of the ring.
 * Existing wraps stay, so processes still on the old ring keep working until they reload.
 * Each page is one short transaction with no I/O but the database.
 */
export async function rewrapAllDataKeys(
  ring: KeyRing,
  db: Kysely<Database>,
  repo: UserKeyRepository = userKeyRepository,
  pageSize = 200,
): Promise<RewrapResult> {
  await ensureCanary(ring, repo, db);
  const activeKey = ring.keys.get(ring.activeId)!;
  const result: RewrapResult = { dataKeys: 0, rewrapped: 0, unreadable: 0 };
  let after = null;
  for (;;) {
    const page = await repo.pageKeysAllUsers(db, after, pageSize);
    if (page.length === 0) break;
    after = page[page.length - 1]!;
    result.dataKeys += page.length;
    const wraps = await repo.wrapsForKeysAllUsers(db, page);
    const additions: { ref: (typeof page)[number]; wrapped: Buffer }[] = [];
    for (const ref of page) {
      const list = wraps.get(refKey(ref)) ?? [];
      if (list.some((w) => w.masterKeyId === ring.activeId)) continue;
      const usable = list.find((w) => ring.keys.has(w.masterKeyId));
      if (!usable) {
        result.unreadable++;
        continue;
      }
      const subject = { userId: ref.userId, version: ref.version };
      let dataKey: Buffer;
      try {
        dataKey = unwrapDataKey(ring.keys.get(usable.masterKeyId)!, usable.masterKeyId, usable.wrapped, subject);
      } catch {
        result.unreadable++;
        continue;
      }
      additions.push({ ref, wrapped: wrapDataKey(activeKey, ring.activeId, dataKey, subject) });
    }
    if (additions.length > 0) {
      await db.transaction().execute(async (trx) => {
        for (const a of additions) await repo.addWrap(trx, a.ref, ring.activeId, a.wrapped);
      });
      result.rewrapped += additions.length;
    }
  }
  return result;
}

/**
 * Removes every wrap made by `retireId` from the database, but only where another key of the ring
 * still wraps the same data key; refuses (changing nothing that matters) if any data key would be
 * left without a wrap. Afterwards the caller may delete the key from its store.
 */
export async function retireMasterKeyWraps(
  ring: KeyRing,
  retireId: string,
  db: Kysely<Database>,
  repo: UserKeyRepository = userKeyRepository,
): Promise<{ removedWraps: number }> {
  const remaining = ring.keys.has(retireId) ? ringWithout(ring, retireId) : ring;
  const keepIds = [...remaining.keys.keys()];
  const orphans = await repo.countKeysNotWrappedByAllUsers(db, keepIds);
  if (orphans > 0) {
    throw new RetireRefusedError(
      `${orphans} data key(s) are not wrapped by any key that would remain (${keepIds.join(', ')}): ` +
        'a process still running on the old ring may have created them. Reload every process (SIGHUP), ' +
        'run `mailhelper keys rewrap`, then retire again',
    );
  }
  // The remaining keys must open the canary before the retired key's canary goes.
  await ensureCanary(ring, repo, db);
  await openCanary(remaining, repo, db);
  const before = (await repo.countWrapsByMasterKeyAllUsers(db)).get(retireId) ?? 0;
  const left = await db.transaction().execute(async (trx) => {
    const n = await repo.deleteCoveredWrapsAllUsers(trx, retireId, keepIds);
    if (n === 0) await repo.deleteCanary(trx, retireId);
    return n;
  });
  if (left > 0) {
    throw new RetireRefusedError(
      `${left} data key(s) were wrapped by ${retireId} while retiring (a process on the old ring is still running); ` +
        'reload every process (SIGHUP), run `mailhelper keys rewrap`, then retire again',
    );
  }
  return { removedWraps: before };
}

export interface KeyStatus {
  dataKeys: number;
  wrapsByKey: Map<string, number>;
  /** Data keys without a wrap under the active key: `keys rewrap` fixes them. */
  notWrappedByActive: number;
  canary: 'ok' | 'missing' | string;
}

export async function keyStatus(ring: KeyRing, db: Kysely<Database>, repo: UserKeyRepository = userKeyRepository): Promise<KeyStatus> {
  let canary: KeyStatus['canary'];
  try {
    canary = (await openCanary(ring, repo, db)) ? 'ok' : 'missing';
  } catch (err) {
    canary = (err as Error).message;
  }
  return {
    dataKeys: await repo.countKeysAllUsers(db),
    wrapsByKey: await repo.countWrapsByMasterKeyAllUsers(db),
    notWrappedByActive: await repo.countKeysNotWrappedByAllUsers(db, [ring.activeId]),
    canary,
  };
}
