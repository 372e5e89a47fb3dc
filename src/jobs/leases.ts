import type { Executor } from '../db/schema.js';
import { LeaseLostError } from './errors.js';

export interface Lease {
  key: string;
  token: number;
}

/**
 * Takes the lease on `key` for `holder` if it is free or expired, raising the fencing token.
 * Returns null when someone else holds it. Safe under concurrency on both dialects: the UPDATE's
 * condition is re-checked under the row lock, so only one contender wins.
 */
export async function acquireLease(ex: Executor, key: string, holder: string, ttlMs: number, now: number): Promise<Lease | null> {
  await ex
    .insertInto('leases')
    .values({ key, token: 0, holder: null, expires_at: 0 })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await ex
    .updateTable('leases')
    .set((eb) => ({ token: eb('token', '+', 1), holder, expires_at: now + ttlMs }))
    .where('key', '=', key)
    .where('expires_at', '<=', now)
    .returning('token')
    .executeTakeFirst();
  return row ? { key, token: Number(row.token) } : null;
}

/** Extends a lease we still hold; false when it was taken over (the token moved on). */
export async function renewLease(ex: Executor, lease: Lease, ttlMs: number, now: number): Promise<boolean> {
  const res = await ex
    .updateTable('leases')
    .set({ expires_at: now + ttlMs })
    .where('key', '=', lease.key)
    .where('token', '=', lease.token)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function releaseLease(ex: Executor, lease: Lease): Promise<void> {
  await ex
    .updateTable('leases')
    .set({ expires_at: 0, holder: null })
    .where('key', '=', lease.key)
    .where('token', '=', lease.token)
    .execute();
}

/**
 * Call inside every write transaction done under a lease: it touches the lease row only while the
 * token is still ours (and on PostgreSQL holds its row lock until commit, so a takeover waits for
 * this batch). 0 rows means another worker took over: throw, so the transaction rolls back.
 */
export async function assertFence(trx: Executor, key: string, token: number): Promise<void> {
  const res = await trx
    .updateTable('leases')
    .set((eb) => ({ token: eb.ref('token') }))
    .where('key', '=', key)
    .where('token', '=', token)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw new LeaseLostError(key);
}
