import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { acquireLease, assertFence, releaseLease, renewLease } from '../../../src/jobs/leases.js';
import { describeEachDialect } from '../../support/db.js';

describeEachDialect('fenced leases', (ctx) => {
  it('one holder at a time; expiry lets another in with a higher token; release frees it', async () => {
    const first = await acquireLease(ctx.db, 'acct-1', 'w1', 1000, 10_000);
    expect(first).toEqual({ key: 'acct-1', token: 1 });
    expect(await acquireLease(ctx.db, 'acct-1', 'w2', 1000, 10_500)).toBeNull();
    expect(await renewLease(ctx.db, first!, 1000, 10_900)).toBe(true);
    expect(await acquireLease(ctx.db, 'acct-1', 'w2', 1000, 11_500)).toBeNull();
    const second = await acquireLease(ctx.db, 'acct-1', 'w2', 1000, 11_901);
    expect(second).toEqual({ key: 'acct-1', token: 2 });
    expect(await renewLease(ctx.db, first!, 1000, 12_000)).toBe(false);
    await releaseLease(ctx.db, second!);
    expect(await acquireLease(ctx.db, 'acct-1', 'w3', 1000, 12_000)).toEqual({ key: 'acct-1', token: 3 });
  });

  it('a write fenced with a superseded token rolls back; the current holder commits', async () => {
    await sql`create table fenced_writes (v text not null)`.execute(ctx.db);
    const stale = (await acquireLease(ctx.db, 'acct-2', 'w1', 100, 1000))!;
    const current = (await acquireLease(ctx.db, 'acct-2', 'w2', 100, 2000))!;
    const write = (token: number, v: string) =>
      ctx.db.transaction().execute(async (trx) => {
        await sql`insert into fenced_writes (v) values (${v})`.execute(trx);
        await assertFence(trx, 'acct-2', token);
      });
    await expect(write(stale.token, 'stale')).rejects.toMatchObject({ code: 'LEASE_LOST', transient: true });
    await write(current.token, 'current');
    const rows = await sql<{ v: string }>`select v from fenced_writes`.execute(ctx.db);
    expect(rows.rows.map((r) => r.v)).toEqual(['current']);
  });
});
