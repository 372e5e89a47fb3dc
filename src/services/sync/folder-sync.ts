import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { UserCipher } from '../../crypto/crypto.js';
import { assertFence, type Lease } from '../../jobs/leases.js';
import type { CrashHook } from './crash-points.js';
import { initialWindow, needsDeletionCheck, planFolder, type FolderPlan, type FolderStatus, type StoredFolderState } from './plan.js';

/** What the sync loop needs from an IMAP session (imapflow's ImapFlow satisfies it). */
export interface ImapSession {
  capabilities: Map<string, boolean | number>;
  status(path: string, query: { messages: true; uidNext: true; uidValidity: true; highestModseq?: boolean }): Promise<
    { messages?: number; uidNext?: number; uidValidity?: bigint; highestModseq?: bigint } | false
  >;
  getMailboxLock(path: string, options?: { readOnly?: boolean }): Promise<{ release(): void }>;
  mailboxClose(): Promise<boolean>;
  search(query: Record<string, unknown>, options: { uid: true }): Promise<number[] | false | undefined>;
  fetch(
    range: string,
    query: { uid: true; flags?: boolean; internalDate?: boolean; size?: boolean; source?: boolean; emailId?: boolean; headers?: boolean; envelope?: boolean },
    options?: { uid?: boolean; changedSince?: bigint },
  ): AsyncIterable<{
    uid: number;
    flags?: Set<string>;
    modseq?: bigint;
    internalDate?: Date | string;
    size?: number;
    source?: Buffer;
    headers?: Buffer;
    emailId?: string;
    envelope?: { date?: Date | string; subject?: string; from?: { address?: string }[] };
  }>;
}

/** One fetched message as the store receives it: the full source, or only the header block above the size limit. */
export interface FetchedMessage {
  uid: number;
  flags: string[];
  modseq: number | null;
  internalDate: number | null;
  size: number;
  raw: Buffer | null;
  emailId: string | null;
}

export interface FlagUpdate {
  uid: number;
  flags: string[];
  modseq: number | null;
}

export interface FolderRef {
  userId: string;
  accountId: string;
  folderId: string;
  path: string;
}

/**
 * A batch being prepared outside any transaction: each message is handed over as it arrives and
 * starts its slow work (parse, seal) at once; `finish` gives the batch for `SyncStore.write`.
 */
export interface PreparingBatch {
  add(message: FetchedMessage): void;
  /** The prepared batch, in the order of `uids` (UIDs not added are left out). */
  finish(uids: readonly number[]): Promise<unknown>;
}

/**
 * The message store as the sync uses it. `begin` starts the slow work (parse, seal) outside any
 * transaction; the others run inside the batch transaction the sync opens and fences.
 */
export interface SyncStore {
  begin(cipher: UserCipher, folder: FolderRef, uidvalidity: number): PreparingBatch;
  write(trx: Transaction<Database>, prepared: unknown): Promise<{ stored: number }>;
  applyFlags(trx: Transaction<Database>, folder: FolderRef, uidvalidity: number, updates: FlagUpdate[]): Promise<number>;
  removeCopies(trx: Transaction<Database>, folder: FolderRef, uidvalidity: number, uids: number[]): Promise<number>;
  /** UIDVALIDITY changed: copies under any other UIDVALIDITY become tombstones, so re-fetched ones re-attach. */
  reseedFolder(trx: Transaction<Database>, folder: FolderRef, newUidvalidity: number): Promise<number>;
  knownUids(db: Kysely<Database>, folder: FolderRef, uidvalidity: number): Promise<number[]>;
  /** After a reseed: attach copies whose ENVELOPE + size match a known message, without bodies. Returns the UIDs left to fetch. */
  attachByEnvelope(trx: Transaction<Database>, cipher: UserCipher, folder: FolderRef, uidvalidity: number, items: EnvelopeItem[]): Promise<number[]>;
}

export interface EnvelopeItem extends FetchedMessage {
  envelope: { date: number | null; fromAddress: string | null; subject: string };
}

export interface FolderSyncOptions {
  now: () => number;
  flagCheckIntervalMs: number;
  initialWindowDays: number;
  initialMaxPerFolder: number;
  /** Messages per batch transaction, and bytes per batch (whichever comes first). */
  batchSize: number;
  batchBytes: number;
  maxMessageBytes: number;
}

export interface FolderSyncResult {
  skipped: boolean;
  /** What the run did, for the run record: see `strategyOf`. */
  strategy: string;
  fetched: number;
  stored: number;
  flagsChanged: number;
  removed: number;
  reseeded: boolean;
  /** Copies re-attached by ENVELOPE + size after a UIDVALIDITY change (no body downloaded). */
  reattached: number;
}

interface Deps {
  db: Kysely<Database>;
  store: SyncStore;
  cipher: UserCipher;
  client: ImapSession;
  lease: Lease;
  signal: AbortSignal;
  onProgress?: (counts: { fetched: number; stored: number }) => Promise<void>;
  crash?: CrashHook;
}

async function readState(db: Kysely<Database>, folder: FolderRef): Promise<StoredFolderState> {
  const row = await db
    .selectFrom('folders')
    .select(['uidvalidity', 'uidnext', 'highestmodseq', 'synced_count', 'last_flag_check_at'])
    .where('user_id', '=', folder.userId)
    .where('id', '=', folder.folderId)
    .executeTakeFirstOrThrow();
  return {
    uidvalidity: row.uidvalidity,
    uidnext: row.uidnext,
    highestmodseq: row.highestmodseq,
    serverCount: row.synced_count ?? 0,
    lastFlagCheckAt: row.last_flag_check_at,
  };
}

function toStatus(raw: Awaited<ReturnType<ImapSession['status']>>): FolderStatus {
  if (!raw || raw.uidValidity === undefined || raw.uidNext === undefined || raw.messages === undefined) {
    throw new Error('the server answered STATUS without UIDVALIDITY, UIDNEXT or MESSAGES');
  }
  return {
    uidValidity: Number(raw.uidValidity),
    uidNext: raw.uidNext,
    messages: raw.messages,
    highestModseq: raw.highestModseq === undefined ? null : Number(raw.highestModseq),
  };
}

/** UID sets as compact IMAP ranges ("1:5,9,12:14"). */
export function uidRanges(uids: number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * Syncs one folder under the account's lease. Nothing changed: no command when the folder list
 * already carried the folder's STATUS (`listed`), else one STATUS. Otherwise new mail, flags and
 * deletions as the plan says, from a STATUS of its own. Every batch is parsed and sealed first, then
 * written in one fenced transaction, so a crash loses at most one batch and a retry never duplicates.
 */
export async function syncFolder(deps: Deps, folder: FolderRef, options: FolderSyncOptions, listed?: FolderStatus): Promise<FolderSyncResult> {
  const { db, client, store } = deps;
  const hasCondstore = client.capabilities.has('CONDSTORE');
  const planOptions = { hasCondstore, now: options.now(), flagCheckIntervalMs: options.flagCheckIntervalMs };
  const state = await readState(db, folder);
  // The listed STATUS only ever skips a folder: a folder with changes is planned from a fresh STATUS,
  // and one that changed since the list is seen by the next run.
  if (listed && planFolder(state, listed, planOptions).kind === 'skip') return startResult({ kind: 'skip' });
  const status = toStatus(await client.status(folder.path, { messages: true, uidNext: true, uidValidity: true, highestModseq: hasCondstore }));
  const plan: FolderPlan = planFolder(state, status, planOptions);
  const result = startResult(plan);
  if (plan.kind === 'skip') return result;

  const fenced = <T>(fn: (trx: Transaction<Database>) => Promise<T>) =>
    db.transaction().execute(async (trx) => {
      await assertFence(trx, deps.lease.key, deps.lease.token);
      return fn(trx);
    });

  const lock = await client.getMailboxLock(folder.path, { readOnly: true });
  try {
    if (plan.reseed && state.uidvalidity !== null) {
      await fenced((trx) => store.reseedFolder(trx, folder, status.uidValidity));
      result.reseeded = true;
    }
    const uidvalidity = status.uidValidity;
    const known = new Set(plan.reseed ? [] : await store.knownUids(db, folder, uidvalidity));

    // Which UIDs to fetch: the initial window (newest first) or everything from the stored UIDNEXT.
    let wanted: number[] = [];
    // (reassigned below when a reseed re-attaches copies by envelope)
    let newOnServer = 0;
    if (plan.initial) {
      const since = new Date(options.now() - options.initialWindowDays * 86_400_000);
      const found = (await client.search({ since }, { uid: true })) || [];
      wanted = initialWindow(found, options.initialMaxPerFolder).filter((uid) => !known.has(uid));
    } else if (plan.fetchNewFrom !== null) {
      const fresh = (await client.search({ uid: `${plan.fetchNewFrom}:*` }, { uid: true })) || [];
      const newUids = fresh.filter((uid) => uid >= plan.fetchNewFrom!);
      newOnServer = newUids.length;
      wanted = newUids.filter((uid) => !known.has(uid)).sort((a, b) => a - b);
    }

    if (plan.reseed && wanted.length > 0) {
      // Same messages under a new UIDVALIDITY: match them by ENVELOPE + size and skip their bodies.
      const envelopes = await fetchEnvelopes(client, wanted);
      const unmatched = new Set(await fenced((trx) => store.attachByEnvelope(trx, deps.cipher, folder, uidvalidity, envelopes)));
      result.reattached = wanted.length - unmatched.size;
      wanted = wanted.filter((uid) => unmatched.has(uid));
    }

    // Pipelined: each message goes to the parse pool's workers as it arrives, so batch N+1 is
    // fetched and parsed while batch N is finished; batch N is then written in its own fenced
    // transaction, in order. At most two batches are in flight, and nothing of them is stored
    // before its transaction commits.
    const commit = async (flight: InFlight): Promise<void> => {
      const prepared = await flight.prepared;
      deps.crash?.('after-prepare');
      const written = await fenced(async (trx) => {
        const w = await store.write(trx, prepared);
        deps.crash?.('mid-transaction');
        if (!plan.initial && flight.highestUid !== null) {
          // Resume point for new mail: everything below this UID is stored.
          const next = flight.highestUid + 1;
          await trx
            .updateTable('folders')
            .set({ uidnext: next, updated_at: options.now() })
            .where('user_id', '=', folder.userId)
            .where('id', '=', folder.folderId)
            .where((eb) => eb.or([eb('uidnext', 'is', null), eb('uidnext', '<', next)]))
            .execute();
        }
        return w;
      });
      deps.crash?.('after-commit');
      result.stored += written.stored;
      await deps.onProgress?.({ fetched: result.fetched, stored: result.stored });
    };
    let inFlight: InFlight | null = null;
    for (const batch of await planBatches(client, wanted, options)) {
      deps.signal.throwIfAborted();
      // The fetched sources belong to the prepare step as they arrive: it drops them once they are sealed.
      const preparing = store.begin(deps.cipher, folder, uidvalidity);
      const uids = await fetchSources(client, batch, options, preparing);
      deps.crash?.('after-fetch');
      result.fetched += uids.length;
      const highestUid = uids.length > 0 ? Math.max(...uids) : null;
      const next: InFlight = { prepared: preparing.finish(uids), highestUid };
      // Handled at once: if the loop fails before this batch is awaited, its failure is the loop's.
      next.prepared.catch(() => undefined);
      const previous = inFlight;
      inFlight = next;
      if (previous) await commit(previous);
    }
    if (inFlight) await commit(inFlight);

    // Flags of messages we already had.
    if (!plan.initial && plan.flags !== 'none' && known.size > 0) {
      const updates: FlagUpdate[] = [];
      const fetchOptions = plan.flags === 'changed-since' && state.highestmodseq !== null ? { uid: true, changedSince: BigInt(state.highestmodseq) } : { uid: true };
      for await (const msg of client.fetch('1:*', { uid: true, flags: true }, fetchOptions)) {
        if (known.has(msg.uid)) updates.push({ uid: msg.uid, flags: [...(msg.flags ?? [])].sort(), modseq: msg.modseq === undefined ? null : Number(msg.modseq) });
      }
      if (updates.length) result.flagsChanged = await fenced((trx) => store.applyFlags(trx, folder, uidvalidity, updates));
    }

    // Deletions: only when the counts say something went away.
    if (!plan.initial && needsDeletionCheck(status, state, newOnServer) && known.size > 0) {
      if (!result.strategy.includes('expunge-check')) result.strategy += '+expunge-check';
      const onServer = new Set((await client.search({ all: true }, { uid: true })) || []);
      const gone = [...known].filter((uid) => !onServer.has(uid));
      if (gone.length) result.removed = await fenced((trx) => store.removeCopies(trx, folder, uidvalidity, gone));
    }

    deps.crash?.('after-commit-before-state');
    const at = options.now();
    await fenced((trx) =>
      trx
        .updateTable('folders')
        .set({
          uidvalidity,
          uidnext: status.uidNext,
          highestmodseq: status.highestModseq,
          message_count: status.messages,
          synced_count: status.messages,
          last_full_check_at: at,
          ...(plan.flags === 'all' || plan.initial ? { last_flag_check_at: at } : {}),
          last_error_code: null,
          updated_at: at,
        })
        .where('user_id', '=', folder.userId)
        .where('id', '=', folder.folderId)
        .execute(),
    );
    return result;
  } finally {
    lock.release();
    // Leave nothing selected: STATUS on a selected mailbox answers from that session's stale view
    // (RFC 3501 says not to use it so), and the next sync starts with STATUS on this very folder.
    await client.mailboxClose().catch(() => false);
  }
}

/**
 * The plan as one word for the run record: 'skip', 'initial' (first sync), 'reseed' (UIDVALIDITY
 * changed), or the parts of an incremental run joined by '+': 'new' (UIDs from the stored UIDNEXT),
 * 'changedsince' (CONDSTORE flag changes), 'flags-pass' (all flags, without CONDSTORE),
 * 'expunge-check' (the count says something went away: UIDs compared with the server's).
 */
export function strategyOf(plan: FolderPlan): string {
  if (plan.kind === 'skip') return 'skip';
  if (plan.reseed) return 'reseed';
  if (plan.initial) return 'initial';
  const parts: string[] = [];
  if (plan.fetchNewFrom !== null) parts.push('new');
  if (plan.flags === 'changed-since') parts.push('changedsince');
  if (plan.flags === 'all') parts.push('flags-pass');
  return parts.join('+') || 'expunge-check';
}

/** A folder's result before anything is fetched: what the plan says it will do, nothing done yet. */
function startResult(plan: FolderPlan): FolderSyncResult {
  return { skipped: plan.kind === 'skip', strategy: strategyOf(plan), fetched: 0, stored: 0, flagsChanged: 0, removed: 0, reseeded: false, reattached: 0 };
}

/** A fetched batch on its way to the database. */
interface InFlight {
  prepared: Promise<unknown>;
  highestUid: number | null;
}

const META_CHUNK = 500;

function envelopeDate(value: Date | string | undefined): number | null {
  if (value === undefined) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}

async function fetchEnvelopes(client: ImapSession, uids: number[]): Promise<EnvelopeItem[]> {
  const out: EnvelopeItem[] = [];
  for (let i = 0; i < uids.length; i += META_CHUNK) {
    const chunk = uids.slice(i, i + META_CHUNK);
    for await (const m of client.fetch(uidRanges(chunk), { uid: true, flags: true, internalDate: true, size: true, emailId: true, envelope: true }, { uid: true })) {
      out.push({
        uid: m.uid,
        flags: [...(m.flags ?? [])].sort(),
        modseq: m.modseq === undefined ? null : Number(m.modseq),
        internalDate: m.internalDate ? new Date(m.internalDate).getTime() : null,
        size: m.size ?? 0,
        raw: null,
        emailId: m.emailId ?? null,
        envelope: {
          date: envelopeDate(m.envelope?.date),
          fromAddress: m.envelope?.from?.[0]?.address ?? null,
          subject: m.envelope?.subject ?? '',
        },
      });
    }
  }
  return out;
}

/**
 * Reads flags, sizes and dates of the wanted UIDs (cheap), then groups them into batches by count
 * and bytes, keeping the wanted order (newest first for the initial window).
 */
async function planBatches(client: ImapSession, uids: number[], options: FolderSyncOptions): Promise<FetchedMessage[][]> {
  const meta = new Map<number, FetchedMessage>();
  for (let i = 0; i < uids.length; i += META_CHUNK) {
    const chunk = uids.slice(i, i + META_CHUNK);
    for await (const m of client.fetch(uidRanges(chunk), { uid: true, flags: true, internalDate: true, size: true, emailId: true }, { uid: true })) {
      meta.set(m.uid, {
        uid: m.uid,
        flags: [...(m.flags ?? [])].sort(),
        modseq: m.modseq === undefined ? null : Number(m.modseq),
        internalDate: m.internalDate ? new Date(m.internalDate).getTime() : null,
        size: m.size ?? 0,
        raw: null,
        emailId: m.emailId ?? null,
      });
    }
  }
  const batches: FetchedMessage[][] = [];
  let current: FetchedMessage[] = [];
  let bytes = 0;
  for (const uid of uids) {
    const m = meta.get(uid);
    if (!m) continue; // expunged meanwhile
    const weight = Math.min(m.size, options.maxMessageBytes);
    if (current.length > 0 && (current.length >= options.batchSize || bytes + weight > options.batchBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += weight;
  }
  if (current.length) batches.push(current);
  return batches;
}

/** Fills in the raw source of every message within the size limit; of larger ones only the header block. */
async function fetchSources(client: ImapSession, batch: FetchedMessage[], options: FolderSyncOptions, sink: PreparingBatch): Promise<number[]> {
  // New objects, not the planned ones: the plan of the whole folder must not hold every fetched source.
  const planned = new Map(batch.map((m) => [m.uid, m]));
  const arrived = new Set<number>();
  const take = (uid: number, raw: Buffer | undefined) => {
    const m = planned.get(uid);
    if (!m || !raw || arrived.has(uid)) return;
    arrived.add(uid);
    sink.add({ ...m, raw });
  };
  const small = batch.filter((m) => m.size <= options.maxMessageBytes).map((m) => m.uid);
  const large = batch.filter((m) => m.size > options.maxMessageBytes).map((m) => m.uid);
  if (small.length) {
    for await (const m of client.fetch(uidRanges(small), { uid: true, source: true }, { uid: true })) take(m.uid, m.source);
  }
  if (large.length) {
    for await (const m of client.fetch(uidRanges(large), { uid: true, headers: true }, { uid: true })) take(m.uid, m.headers);
  }
  // A message expunged between the fetches has nothing to store: it is left out. The batch keeps the plan's order.
  return batch.flatMap((m) => (arrived.has(m.uid) ? [m.uid] : []));
}
