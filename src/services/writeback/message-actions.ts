import type { Kysely } from 'kysely';
import type { Database, Executor, PendingKind } from '../../db/schema.js';
import { newId } from '../../db/ids.js';
import { AppError } from '../../errors.js';
import { openJobIdsForKey } from '../../jobs/embedded/job-repository.js';
import { WRITE_BACK } from '../../jobs/handlers/write-back.js';
import type { JobQueue } from '../../jobs/types.js';
import { copiesOfMessage, deleteCopies, deleteTombstonesOf, insertCopy, insertTombstones, updateCopyFlags, type CopyRow } from '../../repositories/message-copies.js';
import { refreshMessageState, setDone } from '../../repositories/messages.js';
import { foldersRepository } from '../../repositories/folders.js';
import { deleteFailedOfMessages, deleteOp, findOp, insertOp, pendingOfAccount, updateOp, type PendingRow } from '../../repositories/pending-operations.js';
import { flagsText } from '../sync/message-identity.js';
import { MessageNotFoundError } from '../messages/message-reader.js';

/**
 * Message actions: done/undone are local; read, flag, move, trash and delete change the local
 * state at once and leave a pending operation per copy that a write-back job (interactive lane,
 * under the account's sync lease) sends to the server. Operations coalesce in place: read then
 * unread leaves nothing, move then move keeps the last target, a move back to where the copy was
 * leaves nothing.
 */

export const ACTIONS = ['read', 'unread', 'flag', 'unflag', 'done', 'undone', 'move', 'trash', 'delete'] as const;
export type MessageAction = (typeof ACTIONS)[number];

export interface ActionInput {
  action: MessageAction;
  folderId?: string;
  /** Delete permanently only with this set. */
  confirm?: boolean;
}

/** What other tabs hear (SSE): which messages and accounts changed. Ids only. */
export type MailChangeListener = (change: { userId: string; accountIds: string[]; messageIds: string[] }) => Promise<void>;

/** A moved copy waits under this UIDVALIDITY (never a server's: RFC 3501 says nz-number) until the server gives its new UID. */
export const PENDING_UIDVALIDITY = 0;

const MAX_BULK = 500;

export function createMessageActions(deps: {
  db: Kysely<Database>;
  queue: Pick<JobQueue, 'enqueue'>;
  now: () => number;
  onChanged?: MailChangeListener;
}) {
  const { db } = deps;

  const ensureJob = (userId: string, accountId: string) => ensureWriteBackJob(db, deps.queue, userId, accountId);

  async function apply(userId: string, ids: readonly string[], input: ActionInput): Promise<{ accounts: Map<string, string[]> }> {
    if (ids.length === 0 || ids.length > MAX_BULK) throw new AppError('INVALID_INPUT', `give between 1 and ${MAX_BULK} message ids`, 400);
    if (input.action === 'delete' && input.confirm !== true) {
      throw new AppError('CONFIRMATION_REQUIRED', 'Deleting permanently needs "confirm": true', 400);
    }
    if (input.action === 'move' && !input.folderId) throw new AppError('FOLDER_REQUIRED', 'A move needs a target folderId', 400);
    const unique = [...new Set(ids)];
    return db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('messages')
        .select(['id', 'account_id', 'copy_count'])
        .where('user_id', '=', userId)
        .where('id', 'in', unique)
        .execute();
      if (rows.length !== unique.length || rows.some((r) => r.copy_count === 0)) throw new MessageNotFoundError();
      const accounts = new Map<string, string[]>();
      for (const r of rows) accounts.set(r.account_id, [...(accounts.get(r.account_id) ?? []), r.id]);
      const now = deps.now();
      if (input.action === 'done' || input.action === 'undone') {
        for (const r of rows) await setDone(trx, userId, r.id, input.action === 'done', now);
        return { accounts };
      }
      const targets = new Map<string, string>();
      if (input.action === 'move' || input.action === 'trash') {
        for (const accountId of accounts.keys()) targets.set(accountId, await targetFolder(trx, userId, accountId, input));
      }
      await deleteFailedOfMessages(trx, userId, unique);
      // While the account's write-back job runs, it may be sending an operation right now: then an
      // undo is kept as an operation of its own instead of coalescing to nothing.
      const sending = new Set<string>();
      for (const accountId of accounts.keys()) {
        if ((await openJobIdsForKey(trx, accountId, userId, { type: WRITE_BACK, state: 'active' })).length > 0) sending.add(accountId);
      }
      for (const r of rows) {
        const copies = await copiesOfMessage(trx, userId, r.id);
        const coalesce = !sending.has(r.account_id);
        switch (input.action) {
          case 'read':
          case 'unread':
            for (const c of copies) await setFlagOp(trx, userId, c, 'seen', input.action === 'read', coalesce, now);
            break;
          case 'flag':
          case 'unflag':
            for (const c of copies) await setFlagOp(trx, userId, c, 'flagged', input.action === 'flag', coalesce, now);
            break;
          case 'move':
          case 'trash':
            // The copy the lists show (the first); further copies (labels) stay where they are.
            await moveOp(trx, userId, copies[0]!, targets.get(r.account_id)!, coalesce, now);
            break;
          case 'delete':
            for (const c of copies) await deleteOpFor(trx, userId, c, now);
            break;
        }
        await refreshMessageState(trx, userId, r.id, now);
      }
      return { accounts };
    });
  }

  return {
    /** One message. done/undone: `{ jobId: null }`; the others: the account's write-back job. */
    async act(userId: string, messageId: string, input: ActionInput): Promise<{ jobId: string | null }> {
      const { jobs } = await this.actMany(userId, [messageId], input);
      return { jobId: jobs[0]?.jobId ?? null };
    },
    /** Several messages, possibly of several accounts: one write-back job per account. */
    async actMany(userId: string, ids: readonly string[], input: ActionInput): Promise<{ jobs: Array<{ accountId: string; jobId: string }> }> {
      const { accounts } = await apply(userId, ids, input);
      const jobs: Array<{ accountId: string; jobId: string }> = [];
      if (input.action !== 'done' && input.action !== 'undone') {
        for (const accountId of accounts.keys()) jobs.push({ accountId, jobId: await ensureJob(userId, accountId) });
      }
      await deps.onChanged?.({ userId, accountIds: [...accounts.keys()], messageIds: [...accounts.values()].flat() }).catch(() => undefined);
      return { jobs };
    },
  };
}

export type MessageActions = ReturnType<typeof createMessageActions>;

/** The account's queued write-back job (a queued one takes new operations along), or a new one: one per account. */
export async function ensureWriteBackJob(db: Kysely<Database>, queue: Pick<JobQueue, 'enqueue'>, userId: string, accountId: string): Promise<string> {
  const [queued] = await openJobIdsForKey(db, accountId, userId, { type: WRITE_BACK, state: 'queued' });
  if (queued) return queued;
  const job = await queue.enqueue(WRITE_BACK, { accountId }, { userId, key: accountId, lane: 'interactive' });
  return job.id;
}

/** After a sync: operations left pending (a failed or lost job, refused credentials since fixed) get a job again. */
export async function resumeWriteBack(db: Kysely<Database>, queue: Pick<JobQueue, 'enqueue'>, userId: string, accountId: string): Promise<void> {
  if ((await pendingOfAccount(db, userId, accountId)).length > 0) await ensureWriteBackJob(db, queue, userId, accountId);
}

async function targetFolder(ex: Executor, userId: string, accountId: string, input: ActionInput): Promise<string> {
  const folders = await foldersRepository.listForAccount(ex, userId, accountId);
  if (input.action === 'trash') {
    const trash = folders.find((f) => f.role === 'trash');
    if (!trash) throw new AppError('NO_TRASH_FOLDER', 'The account has no Trash folder', 409);
    return trash.id;
  }
  const target = folders.find((f) => f.id === input.folderId);
  if (!target) throw new AppError('FOLDER_NOT_FOUND', 'The target folder does not exist in the message’s account', 404);
  return target.id;
}

function hasFlag(copy: Pick<CopyRow, 'flags'>, flag: string): boolean {
  return copy.flags.split(' ').includes(flag);
}

function withFlag(flags: string, flag: string, set: boolean): string {
  const list = flags.split(' ').filter((f) => f && f !== flag);
  if (set) list.push(flag);
  return flagsText(list);
}

export const FLAG_OF: Record<'seen' | 'flagged', string> = { seen: '\\Seen', flagged: '\\Flagged' };

function snapshot(copy: CopyRow) {
  return {
    orig_folder_id: copy.folder_id,
    orig_uidvalidity: copy.uidvalidity,
    orig_uid: copy.uid,
    orig_flags: copy.flags,
    orig_modseq: copy.modseq,
    orig_internal_date: copy.internal_date,
    orig_size: copy.size,
    orig_created_at: copy.created_at,
  };
}

function newOp(userId: string, copy: CopyRow, kind: PendingKind, now: number) {
  return { id: newId(), user_id: userId, account_id: copy.account_id, message_id: copy.message_id, copy_id: copy.id, kind, state: 'pending' as const, ...snapshot(copy), created_at: now, updated_at: now };
}

async function setFlagOp(ex: Executor, userId: string, copy: CopyRow, kind: 'seen' | 'flagged', want: boolean, coalesce: boolean, now: number): Promise<void> {
  const flag = FLAG_OF[kind];
  const existing = await findOp(ex, userId, copy.id, kind);
  if (existing) {
    if (coalesce && (existing.orig_set === 1) === want) await deleteOp(ex, userId, existing.id);
    else await updateOp(ex, userId, existing.id, { want_set: want ? 1 : 0, updated_at: now });
  } else if (hasFlag(copy, flag) !== want) {
    await insertOp(ex, { ...newOp(userId, copy, kind, now), want_set: want ? 1 : 0, orig_set: want ? 0 : 1 });
  }
  if (hasFlag(copy, flag) !== want) await updateCopyFlags(ex, userId, copy.id, withFlag(copy.flags, flag, want), copy.modseq, now);
}

/** A placeholder UID for a copy on its way to another folder: negative, so it never meets a server UID. */
function placeholderUid(): number {
  return -1 - Math.floor(Math.random() * 2 ** 48);
}

async function moveOp(ex: Executor, userId: string, copy: CopyRow, targetId: string, coalesce: boolean, now: number): Promise<void> {
  const existing = await findOp(ex, userId, copy.id, 'location');
  if (existing) {
    if (coalesce && existing.orig_folder_id === targetId) {
      // Back where it was on the server: nothing to send.
      await relocate(ex, userId, copy.id, { folder_id: existing.orig_folder_id, uidvalidity: existing.orig_uidvalidity, uid: existing.orig_uid }, now);
      await deleteOp(ex, userId, existing.id);
    } else {
      await updateOp(ex, userId, existing.id, { target_folder_id: targetId, updated_at: now });
      await relocate(ex, userId, copy.id, { folder_id: targetId, uidvalidity: PENDING_UIDVALIDITY, uid: placeholderUid() }, now);
    }
    return;
  }
  if (copy.folder_id === targetId) return;
  await insertOp(ex, { ...newOp(userId, copy, 'location', now), target_folder_id: targetId });
  await relocate(ex, userId, copy.id, { folder_id: targetId, uidvalidity: PENDING_UIDVALIDITY, uid: placeholderUid() }, now);
}

async function deleteOpFor(ex: Executor, userId: string, copy: CopyRow, now: number): Promise<void> {
  const existing = await findOp(ex, userId, copy.id, 'location');
  if (existing) await updateOp(ex, userId, existing.id, { target_folder_id: null, updated_at: now });
  else await insertOp(ex, { ...newOp(userId, copy, 'location', now), target_folder_id: null });
  // Gone locally at once; the tombstone keeps the message (and the pending row) until the server confirms.
  await deleteCopies(ex, userId, [copy.id]);
  const m = await ex.selectFrom('messages').select(['envelope_hash', 'message_id_hash', 'content_hash']).where('user_id', '=', userId).where('id', '=', copy.message_id).executeTakeFirstOrThrow();
  await insertTombstones(ex, [{ id: newId(), user_id: userId, message_id: copy.message_id, account_id: copy.account_id, folder_id: copy.folder_id, ...m, removed_at: now }]);
}

export async function relocate(ex: Executor, userId: string, copyId: string, at: { folder_id: string; uidvalidity: number; uid: number }, now: number): Promise<void> {
  await ex.updateTable('message_copies').set({ ...at, updated_at: now }).where('user_id', '=', userId).where('id', '=', copyId).execute();
}

/**
 * Puts the local state back as it was before the operation (the server refused it). The copy of
 * a refused delete is re-inserted from the operation's snapshot.
 */
export async function revertOp(ex: Executor, userId: string, op: PendingRow, now: number): Promise<void> {
  const copy = await ex.selectFrom('message_copies').selectAll().where('user_id', '=', userId).where('id', '=', op.copy_id).executeTakeFirst();
  if (op.kind === 'seen' || op.kind === 'flagged') {
    if (copy) await updateCopyFlags(ex, userId, copy.id, withFlag(copy.flags, FLAG_OF[op.kind], op.orig_set === 1), copy.modseq, now);
  } else if (copy) {
    await relocate(ex, userId, copy.id, { folder_id: op.orig_folder_id, uidvalidity: op.orig_uidvalidity, uid: op.orig_uid }, now);
  } else if (op.target_folder_id === null) {
    await insertCopy(ex, {
      id: op.copy_id,
      user_id: userId,
      message_id: op.message_id,
      account_id: op.account_id,
      folder_id: op.orig_folder_id,
      uidvalidity: op.orig_uidvalidity,
      uid: op.orig_uid,
      flags: op.orig_flags,
      modseq: op.orig_modseq,
      internal_date: op.orig_internal_date,
      size: op.orig_size,
      created_at: op.orig_created_at,
      updated_at: now,
    });
    await deleteTombstonesOf(ex, userId, op.message_id);
  }
  await refreshMessageState(ex, userId, op.message_id, now);
}
