import { sql } from 'kysely';
import type { Executor } from '../db/schema.js';

export interface StoredWrap {
  version: number;
  masterKeyId: string;
  wrapped: Buffer;
}

export interface DataKeyRef {
  userId: string;
  version: number;
}

const CANARY_PREFIX = 'crypto.canary.';

/**
 * All SQL for wrapped data keys and the key canary. Per-user methods take the user id; the
 * `*AllUsers` methods are for key rotation and status only, which work across every user by design.
 */
export const userKeyRepository = {
  async wrapsForUser(ex: Executor, userId: string): Promise<StoredWrap[]> {
    const rows = await ex
      .selectFrom('user_key_wraps')
      .select(['version', 'master_key_id', 'wrapped_key'])
      .where('user_id', '=', userId)
      .orderBy('version')
      .execute();
    return rows.map((r) => ({ version: r.version, masterKeyId: r.master_key_id, wrapped: r.wrapped_key }));
  },

  /** Inserts a new data key with its wraps; false (and nothing written) when that version already exists. */
  async insertKey(ex: Executor, userId: string, version: number, wraps: { masterKeyId: string; wrapped: Buffer }[]): Promise<boolean> {
    const now = Date.now();
    const res = await ex
      .insertInto('user_keys')
      .values({ user_id: userId, version, created_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'version']).doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) return false;
    await ex
      .insertInto('user_key_wraps')
      .values(wraps.map((w) => ({ user_id: userId, version, master_key_id: w.masterKeyId, wrapped_key: w.wrapped, created_at: now })))
      .execute();
    return true;
  },

  async addWrap(ex: Executor, ref: DataKeyRef, masterKeyId: string, wrapped: Buffer): Promise<void> {
    await ex
      .insertInto('user_key_wraps')
      .values({ user_id: ref.userId, version: ref.version, master_key_id: masterKeyId, wrapped_key: wrapped, created_at: Date.now() })
      .onConflict((oc) => oc.columns(['user_id', 'version', 'master_key_id']).doNothing())
      .execute();
  },

  /** One page of every user's data keys, in a stable order, for rotation. */
  async pageKeysAllUsers(ex: Executor, after: DataKeyRef | null, limit: number): Promise<DataKeyRef[]> {
    let q = ex.selectFrom('user_keys').select(['user_id', 'version']).orderBy('user_id').orderBy('version').limit(limit);
    if (after) {
      q = q.where((eb) =>
        eb.or([eb('user_id', '>', after.userId), eb.and([eb('user_id', '=', after.userId), eb('version', '>', after.version)])]),
      );
    }
    return (await q.execute()).map((r) => ({ userId: r.user_id, version: r.version }));
  },

  async wrapsForKeysAllUsers(ex: Executor, refs: DataKeyRef[]): Promise<Map<string, StoredWrap[]>> {
    const byKey = new Map<string, StoredWrap[]>();
    if (refs.length === 0) return byKey;
    const rows = await ex
      .selectFrom('user_key_wraps')
      .select(['user_id', 'version', 'master_key_id', 'wrapped_key'])
      .where('user_id', 'in', [...new Set(refs.map((r) => r.userId))])
      .execute();
    for (const r of rows) {
      const k = refKey({ userId: r.user_id, version: r.version });
      const list = byKey.get(k) ?? [];
      list.push({ version: r.version, masterKeyId: r.master_key_id, wrapped: r.wrapped_key });
      byKey.set(k, list);
    }
    return byKey;
  },

  async countWrapsByMasterKeyAllUsers(ex: Executor): Promise<Map<string, number>> {
    const rows = await ex
      .selectFrom('user_key_wraps')
      .select((eb) => ['master_key_id', eb.fn.countAll<number>().as('n')])
      .groupBy('master_key_id')
      .execute();
    return new Map(rows.map((r) => [r.master_key_id, Number(r.n)]));
  },

  async countKeysAllUsers(ex: Executor): Promise<number> {
    const row = await ex.selectFrom('user_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** Data keys that no master key in `masterKeyIds` wraps: they would be lost if only those keys remained. */
  async countKeysNotWrappedByAllUsers(ex: Executor, masterKeyIds: string[]): Promise<number> {
    const ids = masterKeyIds.length > 0 ? masterKeyIds : [''];
    const row = await ex
      .selectFrom('user_keys as k')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('user_key_wraps as w')
              .select(sql<number>`1`.as('one'))
              .whereRef('w.user_id', '=', 'k.user_id')
              .whereRef('w.version', '=', 'k.version')
              .where('w.master_key_id', 'in', ids),
          ),
        ),
      )
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /**
   * Deletes the wraps made by `masterKeyId` whose data key is also wrapped by one of `keepIds`, in one
   * statement, so a wrap created concurrently by a process still on the old ring is never the last
   * one deleted. Returns how many wraps by `masterKeyId` remain.
   */
  async deleteCoveredWrapsAllUsers(ex: Executor, masterKeyId: string, keepIds: string[]): Promise<number> {
    await ex
      .deleteFrom('user_key_wraps')
      .where('master_key_id', '=', masterKeyId)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('user_key_wraps as other')
            .select(sql<number>`1`.as('one'))
            .whereRef('other.user_id', '=', 'user_key_wraps.user_id')
            .whereRef('other.version', '=', 'user_key_wraps.version')
            .where('other.master_key_id', 'in', keepIds.length > 0 ? keepIds : ['']),
        ),
      )
      .execute();
    const row = await ex
      .selectFrom('user_key_wraps')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('master_key_id', '=', masterKeyId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  async canaries(ex: Executor): Promise<Map<string, Buffer>> {
    const rows = await ex.selectFrom('app_settings').select(['key', 'value']).where('key', 'like', `${CANARY_PREFIX}%`).execute();
    return new Map(rows.map((r) => [r.key.slice(CANARY_PREFIX.length), Buffer.from(r.value, 'base64')]));
  },

  async addCanary(ex: Executor, masterKeyId: string, wrapped: Buffer): Promise<void> {
    await ex
      .insertInto('app_settings')
      .values({ key: CANARY_PREFIX + masterKeyId, value: wrapped.toString('base64'), updated_at: Date.now() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  },

  async deleteCanary(ex: Executor, masterKeyId: string): Promise<void> {
    await ex.deleteFrom('app_settings').where('key', '=', CANARY_PREFIX + masterKeyId).execute();
  },
};

export type UserKeyRepository = typeof userKeyRepository;

export function refKey(ref: DataKeyRef): string {
  return `${ref.userId}#${ref.version}`;
}
