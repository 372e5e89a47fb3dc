import type { ParsePool } from '../../mail/mime/parse-pool.js';
import type { FetchedMessage, FolderRef, SyncStore } from './folder-sync.js';
import { prepareBatch, type PreparedBatch } from './message-prepare.js';
import { applyFlags, knownUids, removeCopies, reseedFolder, storeBatch } from './message-store.js';

/** The message store behind the sync loop's port: parse and seal outside, write inside the fenced transaction. */
export function createSyncStore(deps: { parsePool?: Pick<ParsePool, 'parse'>; maxMessageBytes: number; now: () => number }): SyncStore {
  return {
    prepare(cipher, folder: FolderRef, uidvalidity, items: FetchedMessage[]) {
      return prepareBatch(
        cipher,
        {
          userId: folder.userId,
          accountId: folder.accountId,
          folderId: folder.folderId,
          uidvalidity,
          items: items.map((m) => ({ uid: m.uid, flags: m.flags, modseq: m.modseq, internalDate: m.internalDate, size: m.size, raw: m.raw!, emailId: m.emailId })),
        },
        { parse: deps.parsePool?.parse.bind(deps.parsePool), maxBytes: deps.maxMessageBytes, now: deps.now },
      );
    },
    async write(trx, prepared) {
      const r = await storeBatch(trx, prepared as PreparedBatch, deps.now());
      return { stored: r.created + r.reattached };
    },
    applyFlags: (trx, folder, uidvalidity, updates) => applyFlags(trx, folder.userId, folder.folderId, uidvalidity, updates, deps.now()),
    removeCopies: (trx, folder, uidvalidity, uids) => removeCopies(trx, folder.userId, folder.folderId, uidvalidity, uids, deps.now()),
    reseedFolder: (trx, folder, uidvalidity) => reseedFolder(trx, folder.userId, folder.folderId, uidvalidity, deps.now()),
    knownUids: (db, folder, uidvalidity) => knownUids(db, folder.userId, folder.folderId, uidvalidity),
  };
}
