import type { Kysely, Transaction } from 'kysely';
import type { Crypto } from '../../crypto/crypto.js';
import type { Database } from '../../db/schema.js';
import { TransientError } from '../../jobs/errors.js';
import { assertFence, type Lease } from '../../jobs/leases.js';
import type { Logger } from '../../observability/logger.js';
import { copiesByIds, knownUids } from '../../repositories/message-copies.js';
import { findMessage, refreshMessageState } from '../../repositories/messages.js';
import { deleteOp, findOpById, pendingOfAccount, updateOp, type PendingRow } from '../../repositories/pending-operations.js';
import { classifySyncError, type AccountConnections } from '../sync/account-sync.js';
import { CONTEXT } from '../sync/message-identity.js';
import { removeCopies } from '../sync/message-store.js';
import { syncErrorMessage, type RefusalCode } from './sync-errors.js';
import { FLAG_OF, PENDING_UIDVALIDITY, relocate, revertOp, type MailChangeListener } from './message-actions.js';
import { uidRanges } from '../sync/folder-sync.js';

/** The IMAP commands write-back uses (imapflow's ImapFlow satisfies it). */
export interface WriteSession {
  capabilities: Map<string, boolean | number>;
  usable: boolean;
  mailbox: { path: string; uidValidity: bigint; readOnly?: boolean } | false;
  getMailboxLock(path: string, options?: { readOnly?: boolean }): Promise<{ release(): void }>;
  mailboxClose(): Promise<boolean>;
  messageFlagsAdd(range: string, flags: string[], options: { uid: true }): Promise<boolean>;
  messageFlagsRemove(range: string, flags: string[], options: { uid: true }): Promise<boolean>;
  messageMove(range: string, destination: string, options: { uid: true }): Promise<CopyResult | false>;
  messageCopy(range: string, destination: string, options: { uid: true }): Promise<CopyResult | false>;
  /** Only ever called with UIDPLUS advertised: imapflow then sends UID EXPUNGE for exactly these UIDs. */
  messageDelete(range: string, options: { uid: true }): Promise<boolean>;
  search(query: Record<string, unknown>, options: { uid: true }): Promise<number[] | false | undefined>;
}

interface CopyResult {
  uidValidity?: bigint;
  uidMap?: Map<number, number>;
}

export interface WriteBackResult extends Record<string, unknown> {
  sent: number;
  failed: number;
  /** Codes only, e.g. NO_SAFE_EXPUNGE: the server lacks UIDPLUS, so moved/deleted copies stay flagged \Deleted in their folder. */
  notes: string[];
}

class Refused extends Error {
  constructor(readonly code: RefusalCode) {
    super(code);
  }
}

type Ops = {
  copyId: string;
  messageId: string;
  seen?: PendingRow;
  flagged?: PendingRow;
  location?: PendingRow;
  /** Where the copy is on the server now. */
  at: { folderId: string; uidvalidity: number; uid: number } | null;
};

/**
 * Leaves no mailbox selected read-write: CLOSE on a read-write mailbox expunges every \\Deleted
 * message in it (a plain EXPUNGE in disguise), so the session first re-opens it read-only (EXAMINE),
 * where CLOSE removes nothing. The next user of the pooled session starts clean.
 */
async function leaveReadOnly(client: WriteSession): Promise<void> {
  if (!client.mailbox || !client.usable) return;
  if (!client.mailbox.readOnly) {
    const lock = await client.getMailboxLock(client.mailbox.path, { readOnly: true });
    lock.release();
  }
  if (client.mailbox && client.mailbox.readOnly) await client.mailboxClose().catch(() => false);
}

export function createWriteBack(deps: {
  db: Kysely<Database>;
  crypto: Pick<Crypto, 'forUser'>;
  connections: AccountConnections;
  now: () => number;
  logger?: Logger;
  onChanged?: MailChangeListener;
}) {
  const { db } = deps;

  return {
    /** Sends every pending operation of the account; refused ones are reverted, a lost connection retries. */
    async run(userId: string, accountId: string, ctx: { lease: Lease; signal: AbortSignal; lastAttempt: boolean }): Promise<WriteBackResult> {
      const result: WriteBackResult = { sent: 0, failed: 0, notes: [] };
      const changed = new Set<string>();
      const fenced = <T>(fn: (trx: Transaction<Database>) => Promise<T>) =>
        db.transaction().execute(async (trx) => {
          await assertFence(trx, ctx.lease.key, ctx.lease.token);
          return fn(trx);
        });
      const fail = async (ops: PendingRow[], code: string) => {
        if (ops.length === 0) return;
        await fenced(async (trx) => {
          const now = deps.now();
          for (const op of ops) {
            await revertOp(trx, userId, op, now);
            await updateOp(trx, userId, op.id, { state: 'failed', error_code: code, updated_at: now });
            changed.add(op.message_id);
          }
          await trx
            .updateTable('accounts')
            .set({ last_error_code: code, last_error_message: syncErrorMessage(code), last_error_at: now, updated_at: now })
            .where('user_id', '=', userId)
            .where('id', '=', accountId)
            .execute();
        });
        result.failed += ops.length;
      };

      const cipher = await deps.crypto.forUser(userId);
      try {
        await deps.connections.withConnection(
          accountId,
          async (raw) => {
            const client = raw as unknown as WriteSession;
            // A few rounds: operations changed while a round ran are sent by the next.
            for (let round = 0; round < 3; round++) {
              const pending = await pendingOfAccount(db, userId, accountId);
              if (pending.length === 0) break;
              const sent = await sendRound(client, pending);
              result.sent += sent;
              if (sent === 0) break;
            }
          },
          { signal: ctx.signal },
        );
      } catch (err) {
        if (classifySyncError(err) !== 'transient' && !(err instanceof TransientError)) throw err;
        if (!ctx.lastAttempt) throw err instanceof TransientError ? err : new TransientError('SERVER_UNREACHABLE', 'the mail server could not be reached');
        // Out of attempts: undo what could not be sent, so the user sees the true server state.
        await fail(await pendingOfAccount(db, userId, accountId), 'SERVER_UNREACHABLE');
      } finally {
        if (changed.size > 0) await deps.onChanged?.({ userId, accountIds: [accountId], messageIds: [...changed] }).catch(() => undefined);
      }
      return result;

      async function sendRound(client: WriteSession, pending: PendingRow[]): Promise<number> {
        const folders = new Map(
          (await db.selectFrom('folders').select(['id', 'path', 'is_gone']).where('user_id', '=', userId).where('account_id', '=', accountId).execute()).map((f) => [
            f.id,
            { path: cipher.openText('folder.path.v1', f.id, f.path), gone: f.is_gone === 1 },
          ]),
        );
        // Group by copy, then by where the copy is on the server: where a pending move started, else
        // where the copy row is (a flag change made after a confirmed move applies at the new UID).
        const byCopy = new Map<string, Ops>();
        for (const op of pending) {
          const entry = byCopy.get(op.copy_id) ?? { copyId: op.copy_id, messageId: op.message_id, at: null };
          entry[op.kind] = op;
          byCopy.set(op.copy_id, entry);
        }
        const rows = new Map((await copiesByIds(db, userId, [...byCopy.keys()])).map((c) => [c.id, c]));
        const stale: PendingRow[] = [];
        const bySource = new Map<string, Ops[]>();
        for (const ops of byCopy.values()) {
          const row = rows.get(ops.copyId);
          const loc = ops.location;
          ops.at = loc
            ? { folderId: loc.orig_folder_id, uidvalidity: loc.orig_uidvalidity, uid: loc.orig_uid }
            : row && row.uidvalidity !== PENDING_UIDVALIDITY
              ? { folderId: row.folder_id, uidvalidity: row.uidvalidity, uid: row.uid }
              : null;
          if (!ops.at) {
            // The copy is gone (deleted on the server and synced away): nothing left to change.
            stale.push(...all(ops));
            continue;
          }
          bySource.set(ops.at.folderId, [...(bySource.get(ops.at.folderId) ?? []), ops]);
        }
        if (stale.length) {
          await fenced(async (trx) => {
            for (const op of stale) await deleteOp(trx, userId, op.id);
          });
        }

        let sent = 0;
        const lookups: Array<{ op: PendingRow; targetPath: string; uidvalidity: number | null }> = [];
        for (const [folderId, group] of bySource) {
          ctx.signal.throwIfAborted();
          const folder = folders.get(folderId);
          if (!folder || folder.gone) {
            await fail(group.flatMap(all), 'FOLDER_GONE');
            continue;
          }
          const lock = await client.getMailboxLock(folder.path);
          try {
            const uidvalidity = client.mailbox ? Number(client.mailbox.uidValidity) : null;
            const current: Ops[] = [];
            for (const ops of group) {
              if (uidvalidity === ops.at!.uidvalidity) current.push(ops);
              else await fail(all(ops), 'UIDVALIDITY_CHANGED');
            }
            sent += await sendFlags(client, current);
            for (const ops of current) {
              const loc = ops.location;
              if (!loc || !(await stillPending(loc))) continue;
              try {
                const moved = await sendLocation(client, loc, folders);
                if (moved) {
                  if (moved.uid !== null) await confirmMove(loc, moved.uidvalidity!, moved.uid);
                  else lookups.push({ op: loc, targetPath: folders.get(loc.target_folder_id!)!.path, uidvalidity: moved.uidvalidity });
                } else await confirmDelete(loc);
                sent++;
              } catch (err) {
                if (!(err instanceof Refused)) throw err;
                await fail([loc], err.code);
              }
            }
          } finally {
            lock.release();
          }
        }
        // Without COPYUID: find the new UID by Message-ID in the target folder.
        for (const l of lookups) await lookupNewUid(client, l.op, l.targetPath, l.uidvalidity);
        await leaveReadOnly(client);
        return sent;
      }

      /**
       * One UID STORE per flag and direction for the whole folder; when the server refuses a set,
       * each copy is tried alone, so only the refused ones are reverted.
       */
      async function sendFlags(client: WriteSession, group: Ops[]): Promise<number> {
        const sets = new Map<string, Array<{ op: PendingRow; uid: number }>>();
        for (const ops of group) {
          for (const op of [ops.seen, ops.flagged]) {
            if (!op) continue;
            const key = `${op.kind}:${op.want_set}`;
            sets.set(key, [...(sets.get(key) ?? []), { op, uid: ops.at!.uid }]);
          }
        }
        let sent = 0;
        for (const [key, items] of sets) {
          const [kind, want] = key.split(':') as ['seen' | 'flagged', string];
          const store = (uids: number[]) => {
            const range = uidRanges(uids);
            return want === '1' ? client.messageFlagsAdd(range, [FLAG_OF[kind]], { uid: true }) : client.messageFlagsRemove(range, [FLAG_OF[kind]], { uid: true });
          };
          if (await store(items.map((i) => i.uid))) {
            await confirmFlags(items.map((i) => i.op));
            sent += items.length;
            continue;
          }
          if (!client.usable) refused(client, 'STORE_REFUSED');
          for (const item of items) {
            if (await store([item.uid])) {
              await confirmFlags([item.op]);
              sent++;
            } else {
              if (!client.usable) refused(client, 'STORE_REFUSED');
              await fail([item.op], 'STORE_REFUSED');
            }
          }
        }
        return sent;
      }

      /** A failed flag op of the same copy may have reverted things; the location op is still ours to send. */
      async function stillPending(op: PendingRow): Promise<boolean> {
        const current = await findOpById(db, userId, op.id);
        return current !== null && current.state === 'pending';
      }

      function all(ops: Ops): PendingRow[] {
        return [ops.seen, ops.flagged, ops.location].filter((o): o is PendingRow => o !== undefined);
      }

      function refused(client: WriteSession, code: RefusalCode): never {
        // A command that failed because the connection went away is a network problem: retry.
        if (!client.usable) throw new TransientError('SERVER_UNREACHABLE', 'the connection to the mail server was lost');
        throw new Refused(code);
      }

      /** Move or delete one copy; returns the new place for a move (uid null when the server did not say), null for a delete. */
      async function sendLocation(client: WriteSession, op: PendingRow, folders: Map<string, { path: string; gone: boolean }>): Promise<{ uidvalidity: number | null; uid: number | null } | null> {
        const uid = String(op.orig_uid);
        const caps = client.capabilities;
        const safeExpunge = caps.has('UIDPLUS');
        if (op.target_folder_id === null) {
          if (safeExpunge) {
            if (!(await client.messageDelete(uid, { uid: true }))) refused(client, 'DELETE_REFUSED');
          } else {
            // Never a plain EXPUNGE: it would remove every \Deleted message of the folder, not just this one.
            if (!(await client.messageFlagsAdd(uid, ['\\Deleted'], { uid: true }))) refused(client, 'DELETE_REFUSED');
            note('NO_SAFE_EXPUNGE');
          }
          return null;
        }
        const target = folders.get(op.target_folder_id);
        if (!target || target.gone) throw new Refused('FOLDER_GONE');
        let copied: CopyResult | false;
        if (caps.has('MOVE')) {
          copied = await client.messageMove(uid, target.path, { uid: true });
          if (!copied) refused(client, 'MOVE_REFUSED');
        } else {
          copied = await client.messageCopy(uid, target.path, { uid: true });
          if (!copied) refused(client, 'MOVE_REFUSED');
          if (safeExpunge) {
            if (!(await client.messageDelete(uid, { uid: true }))) refused(client, 'MOVE_REFUSED');
          } else {
            if (!(await client.messageFlagsAdd(uid, ['\\Deleted'], { uid: true }))) refused(client, 'MOVE_REFUSED');
            note('NO_SAFE_EXPUNGE');
          }
        }
        // COPYUID is only trusted where UIDPLUS is advertised.
        const newUid = safeExpunge ? copied.uidMap?.get(op.orig_uid) : undefined;
        const uidvalidity = safeExpunge && copied.uidValidity !== undefined ? Number(copied.uidValidity) : null;
        return { uidvalidity, uid: newUid !== undefined && uidvalidity !== null ? newUid : null };
      }

      function note(code: string) {
        if (!result.notes.includes(code)) {
          result.notes.push(code);
          deps.logger?.warn({ accountId, note: code }, 'the mail server lacks UIDPLUS: moved or deleted messages stay flagged \\Deleted in their folder (no plain EXPUNGE is ever sent)');
        }
      }

      async function confirmFlags(ops: PendingRow[]) {
        if (ops.length === 0) return;
        await fenced(async (trx) => {
          const now = deps.now();
          for (const sentOp of ops) {
            const current = await findOpById(trx, userId, sentOp.id);
            if (!current) continue;
            // Changed again while we sent it: the server now holds what we sent; the next round sends the rest.
            if (current.want_set === sentOp.want_set) await deleteOp(trx, userId, current.id);
            else await updateOp(trx, userId, current.id, { orig_set: sentOp.want_set, updated_at: now });
            changed.add(sentOp.message_id);
          }
        });
      }

      async function confirmMove(sentOp: PendingRow, uidvalidity: number, uid: number) {
        await fenced(async (trx) => {
          const now = deps.now();
          const current = await findOpById(trx, userId, sentOp.id);
          if (current && current.target_folder_id === sentOp.target_folder_id) {
            await relocate(trx, userId, sentOp.copy_id, { folder_id: sentOp.target_folder_id!, uidvalidity, uid }, now);
            await deleteOp(trx, userId, current.id);
          } else if (current) {
            // Moved on again meanwhile: the next round starts from where the server has it now.
            await updateOp(trx, userId, current.id, { orig_folder_id: sentOp.target_folder_id!, orig_uidvalidity: uidvalidity, orig_uid: uid, updated_at: now });
          }
          await refreshMessageState(trx, userId, sentOp.message_id, now);
          changed.add(sentOp.message_id);
        });
      }

      async function confirmDelete(sentOp: PendingRow) {
        await fenced(async (trx) => {
          await deleteOp(trx, userId, sentOp.id);
          changed.add(sentOp.message_id);
        });
      }

      async function lookupNewUid(client: WriteSession, op: PendingRow, targetPath: string, knownValidity: number | null) {
        const message = await findMessage(db, userId, op.message_id);
        const envelope = message ? (JSON.parse(cipher.openText(CONTEXT.envelope, message.id, message.envelope)) as { messageId: string | null }) : null;
        let found: { uidvalidity: number; uid: number } | null = null;
        if (envelope?.messageId) {
          const lock = await client.getMailboxLock(targetPath);
          try {
            const uidvalidity = client.mailbox ? Number(client.mailbox.uidValidity) : knownValidity;
            const hits = (await client.search({ header: { 'message-id': envelope.messageId } }, { uid: true })) || [];
            if (uidvalidity !== null) {
              const taken = new Set(await knownUids(db, userId, op.target_folder_id!, uidvalidity));
              const candidates = hits.filter((u) => !taken.has(u));
              if (candidates.length > 0) found = { uidvalidity, uid: Math.max(...candidates) };
            }
          } finally {
            lock.release();
          }
        }
        if (found) return confirmMove(op, found.uidvalidity, found.uid);
        // Not found: let the next sync of the target re-attach it (the tombstone keeps the message's identity).
        await fenced(async (trx) => {
          const now = deps.now();
          const copy = await trx.selectFrom('message_copies').select(['id', 'folder_id', 'uidvalidity', 'uid']).where('user_id', '=', userId).where('id', '=', op.copy_id).executeTakeFirst();
          if (copy) await removeCopies(trx, userId, copy.folder_id, copy.uidvalidity, [copy.uid], now);
          await deleteOp(trx, userId, op.id);
          changed.add(op.message_id);
        });
      }
    },
  };
}

export type WriteBack = ReturnType<typeof createWriteBack>;
