import { sql, type Insertable } from 'kysely';
import type { Executor, ThreadsTable } from '../db/schema.js';

/** Threads and the keyed hashes that tie messages to them. Every query is scoped by user id. */

export interface ThreadKey {
  kind: 'ref' | 'addr';
  hash: Buffer;
}

const CHUNK = 500;

export async function insertThread(ex: Executor, row: Insertable<ThreadsTable>): Promise<void> {
  await ex.insertInto('threads').values(row).execute();
}

/** The threads that hold any of these Message-ID hashes (as a message's own id or a reference), oldest first. */
export async function threadsByRefs(ex: Executor, userId: string, refHashes: readonly Buffer[]): Promise<string[]> {
  const found = new Map<string, { created_at: number }>();
  for (let i = 0; i < refHashes.length; i += CHUNK) {
    const rows = await ex
      .selectFrom('thread_keys as k')
      .innerJoin('threads as t', 't.id', 'k.thread_id')
      .select(['t.id', 't.created_at'])
      .where('k.user_id', '=', userId)
      .where('k.kind', '=', 'ref')
      .where('k.key_hash', 'in', refHashes.slice(i, i + CHUNK))
      .execute();
    for (const r of rows) found.set(r.id, r);
  }
  return [...found.entries()].sort(([a, x], [b, y]) => x.created_at - y.created_at || (a < b ? -1 : 1)).map(([id]) => id);
}

/** For each of these Message-ID hashes, the threads that hold it (one row per hash and thread). */
export async function threadRefsOf(ex: Executor, userId: string, refHashes: readonly Buffer[]): Promise<Array<{ hash: Buffer; id: string; created_at: number }>> {
  const out: Array<{ hash: Buffer; id: string; created_at: number }> = [];
  for (let i = 0; i < refHashes.length; i += CHUNK) {
    const rows = await ex
      .selectFrom('thread_keys as k')
      .innerJoin('threads as t', 't.id', 'k.thread_id')
      .select(['k.key_hash', 't.id', 't.created_at'])
      .where('k.user_id', '=', userId)
      .where('k.kind', '=', 'ref')
      .where('k.key_hash', 'in', refHashes.slice(i, i + CHUNK))
      .execute();
    for (const r of rows) out.push({ hash: r.key_hash, id: r.id, created_at: Number(r.created_at) });
  }
  return out;
}

export async function insertThreads(ex: Executor, rows: readonly Insertable<ThreadsTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) await ex.insertInto('threads').values(rows.slice(i, i + 200)).execute();
}

/** Adds messages to threads: count up, last date widened (one statement per thread). */
export async function bumpThreads(ex: Executor, userId: string, bumps: ReadonlyMap<string, { count: number; lastDate: number }>, now: number): Promise<void> {
  for (const [id, b] of bumps) {
    await ex
      .updateTable('threads')
      .set((eb) => ({
        message_count: eb('message_count', '+', b.count),
        last_date: sql<number>`case when last_date < ${b.lastDate} then ${b.lastDate} else last_date end`,
        updated_at: now,
      }))
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .execute();
  }
}

/** Thread keys of several threads in one go: new ones inserted, known ones widen their date range. */
export async function upsertThreadKeys(ex: Executor, userId: string, rows: ReadonlyArray<KeyRow & { thread_id: string }>): Promise<void> {
  const byThread = new Map<string, KeyRow[]>();
  for (const r of rows) {
    const list = byThread.get(r.thread_id) ?? [];
    list.push({ kind: r.kind, key_hash: r.key_hash, first_date: r.first_date, last_date: r.last_date });
    byThread.set(r.thread_id, list);
  }
  const all: Array<KeyRow & { thread_id: string }> = [];
  for (const [threadId, list] of byThread) for (const r of dedupeKeys(list)) all.push({ ...r, thread_id: threadId });
  await upsertKeyRows(ex, userId, all);
}

/**
 * The most recent thread with this subject in which both the sender and one of the recipients took
 * part (as sender or recipient) within the date window. Threads the user merely received something
 * in do not match a stranger's reply with the same subject.
 */
export async function threadBySubjectAndParticipants(
  ex: Executor,
  userId: string,
  q: { subjectHash: Buffer; senderHash: Buffer; recipientHashes: readonly Buffer[]; from: number; to: number },
): Promise<string | null> {
  if (q.recipientHashes.length === 0) return null;
  // Checked per candidate thread (by its key), not as "all threads of this address": the user's own
  // address is a recipient in nearly every thread.
  const row = await ex
    .selectFrom('threads as t')
    .select('t.id')
    .where('t.user_id', '=', userId)
    .where('t.subject_hash', '=', q.subjectHash)
    .where((eb) => {
      const tookPart = (hashes: readonly Buffer[]) =>
        eb.exists(
          eb
            .selectFrom('thread_keys as k')
            .select('k.thread_id')
            .whereRef('k.thread_id', '=', 't.id')
            .where('k.kind', '=', 'addr')
            .where('k.key_hash', 'in', hashes.slice(0, CHUNK))
            .where('k.first_date', '<=', q.to)
            .where('k.last_date', '>=', q.from),
        );
      return eb.and([tookPart([q.senderHash]), tookPart(q.recipientHashes)]);
    })
    .orderBy('t.last_date', 'desc')
    .executeTakeFirst();
  return row?.id ?? null;
}

/** Records keys for a thread: new ones are inserted, known ones widen their date range. */
export async function addThreadKeys(ex: Executor, userId: string, threadId: string, keys: readonly ThreadKey[], date: number): Promise<void> {
  await mergeKeyRows(ex, userId, threadId, keys.map((k) => ({ kind: k.kind, key_hash: k.hash, first_date: date, last_date: date })));
}

export interface KeyRow {
  kind: 'ref' | 'addr';
  key_hash: Buffer;
  first_date: number;
  last_date: number;
}

function dedupeKeys(rows: readonly KeyRow[]): KeyRow[] {
  const wanted = new Map<string, KeyRow>();
  for (const r of rows) {
    const id = `${r.kind}:${r.key_hash.toString('hex')}`;
    const seen = wanted.get(id);
    wanted.set(id, seen ? { ...seen, first_date: Math.min(seen.first_date, r.first_date), last_date: Math.max(seen.last_date, r.last_date) } : r);
  }
  return [...wanted.values()];
}

async function mergeKeyRows(ex: Executor, userId: string, threadId: string, rows: readonly KeyRow[]): Promise<void> {
  await upsertKeyRows(ex, userId, dedupeKeys(rows).map((r) => ({ ...r, thread_id: threadId })));
}

/**
 * One upsert per 200 keys: new keys are inserted, known ones (the thread's own, or added meanwhile by
 * another account's sync) widen their date range. Rows must be unique per (thread, kind, hash).
 */
async function upsertKeyRows(ex: Executor, userId: string, rows: ReadonlyArray<KeyRow & { thread_id: string }>): Promise<void> {
  const widen = (col: 'first_date' | 'last_date', cmp: '<' | '>') =>
    sql<number>`case when excluded.${sql.ref(col)} ${sql.raw(cmp)} thread_keys.${sql.ref(col)} then excluded.${sql.ref(col)} else thread_keys.${sql.ref(col)} end`;
  for (let i = 0; i < rows.length; i += 200) {
    await ex
      .insertInto('thread_keys')
      .values(rows.slice(i, i + 200).map((r) => ({ user_id: userId, thread_id: r.thread_id, kind: r.kind, key_hash: r.key_hash, first_date: r.first_date, last_date: r.last_date })))
      .onConflict((oc) => oc.columns(['thread_id', 'kind', 'key_hash']).doUpdateSet({ first_date: widen('first_date', '<'), last_date: widen('last_date', '>') }))
      .execute();
  }
}

/** Counts one more message in the thread and moves its last date forward. */
export async function addToThread(ex: Executor, userId: string, threadId: string, date: number, now: number): Promise<void> {
  const t = await ex.selectFrom('threads').select(['last_date']).where('user_id', '=', userId).where('id', '=', threadId).executeTakeFirstOrThrow();
  await ex
    .updateTable('threads')
    .set((eb) => ({ message_count: eb('message_count', '+', 1), last_date: Math.max(Number(t.last_date), date), updated_at: now }))
    .where('user_id', '=', userId)
    .where('id', '=', threadId)
    .execute();
}

/**
 * Merges threads into `targetId`: their messages and keys move over, they are deleted, and the
 * target is recounted. Used when a message links threads that grew apart (a parent arriving after
 * replies that only knew of it through different references).
 */
export async function mergeThreads(ex: Executor, userId: string, targetId: string, otherIds: readonly string[], now: number): Promise<void> {
  if (otherIds.length === 0) return;
  const keys = await ex
    .selectFrom('thread_keys')
    .select(['kind', 'key_hash', 'first_date', 'last_date'])
    .where('user_id', '=', userId)
    .where('thread_id', 'in', [...otherIds])
    .execute();
  const others = await ex.selectFrom('threads').select(['subject_hash']).where('user_id', '=', userId).where('id', 'in', [...otherIds]).execute();
  await ex.updateTable('messages').set({ thread_id: targetId }).where('user_id', '=', userId).where('thread_id', 'in', [...otherIds]).execute();
  await ex.deleteFrom('threads').where('user_id', '=', userId).where('id', 'in', [...otherIds]).execute();
  await mergeKeyRows(ex, userId, targetId, keys.map((k) => ({ ...k, first_date: Number(k.first_date), last_date: Number(k.last_date) })));
  const stats = await ex
    .selectFrom('messages')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('date').as('last')])
    .where('user_id', '=', userId)
    .where('thread_id', '=', targetId)
    .executeTakeFirstOrThrow();
  const target = await ex.selectFrom('threads').select(['subject_hash', 'last_date']).where('user_id', '=', userId).where('id', '=', targetId).executeTakeFirstOrThrow();
  await ex
    .updateTable('threads')
    .set({
      message_count: Number(stats.n),
      last_date: stats.last === null ? Number(target.last_date) : Number(stats.last),
      subject_hash: target.subject_hash ?? others.find((o) => o.subject_hash)?.subject_hash ?? null,
      updated_at: now,
    })
    .where('user_id', '=', userId)
    .where('id', '=', targetId)
    .execute();
}

/**
 * Recounts threads after messages were deleted (count and last date); threads left empty go too
 * (their keys with them).
 */
export async function recountThreads(ex: Executor, userId: string, threadIds: readonly string[], now: number): Promise<void> {
  for (const id of new Set(threadIds)) {
    const { n, last } = await ex
      .selectFrom('messages')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('date').as('last')])
      .where('user_id', '=', userId)
      .where('thread_id', '=', id)
      .executeTakeFirstOrThrow();
    if (Number(n) === 0) {
      await ex.deleteFrom('threads').where('user_id', '=', userId).where('id', '=', id).execute();
      continue;
    }
    await ex
      .updateTable('threads')
      .set({ message_count: Number(n), ...(last === null ? {} : { last_date: Number(last) }), updated_at: now })
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .execute();
  }
}

/** The thread's size and last date, or null when it is not the user's. */
export async function findThread(ex: Executor, userId: string, threadId: string): Promise<{ id: string; message_count: number; last_date: number } | null> {
  const row = await ex.selectFrom('threads').select(['id', 'message_count', 'last_date']).where('user_id', '=', userId).where('id', '=', threadId).executeTakeFirst();
  return row ?? null;
}
