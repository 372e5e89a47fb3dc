import { describe, expect, it } from 'vitest';
import { columnTypes } from '../../../src/db/columns.js';
import { newId } from '../../../src/db/ids.js';
import { describeEachDialect } from '../../support/db.js';

const id = newId();
const expected = {
  id,
  created_at: 1_764_339_200_123, // epoch ms, well above 2^31
  big: 9_007_199_254_740_991, // Number.MAX_SAFE_INTEGER survives on both dialects
  small: -42,
  is_done: 1,
  is_other: 0,
  title: 'Grüße — 你好 — 👋',
  payload: Buffer.from([0, 1, 2, 253, 254, 255]),
  score: 0.625,
  nothing: null,
};

describeEachDialect('column type parity', (ctx) => {
  it('writes and reads back every column type with identical JS values', async () => {
    const t = columnTypes(ctx.dialect);
    await ctx.db.schema
      .createTable('parity')
      .addColumn('id', t.id, (c) => c.primaryKey())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('big', t.bigint)
      .addColumn('small', t.integer)
      .addColumn('is_done', t.flag)
      .addColumn('is_other', t.flag)
      .addColumn('title', t.text)
      .addColumn('payload', t.blob)
      .addColumn('score', t.real)
      .addColumn('nothing', t.text)
      .addColumn('defaulted_at', t.time, (c) => c.notNull().defaultTo(t.nowMs))
      .execute();
    const db = ctx.db as any;
    const before = Date.now();
    await db.insertInto('parity').values(expected).execute();
    const row = await db.selectFrom('parity').selectAll().executeTakeFirstOrThrow();
    const { defaulted_at, ...rest } = row;
    expect(rest).toEqual(expected);
    expect(Buffer.isBuffer(row.payload)).toBe(true);
    expect(typeof row.created_at).toBe('number');
    expect(typeof defaulted_at).toBe('number');
    expect(defaulted_at).toBeGreaterThanOrEqual(before - 5_000);

    const counted = await db.selectFrom('parity').select((eb: any) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(counted.n).toBe(1); // pg would return '1' without our int8 parser
  });
});

describe('ids', () => {
  it('are lower-case UUIDv7 and sort in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 2000 }, () => newId());
    expect(ids.every((v) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(v))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
