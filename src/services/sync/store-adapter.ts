import type { ParsePool } from '../../mail/mime/parse-pool.js';
import type { FetchedMessage, FolderRef, SyncStore } from './folder-sync.js';
import { startBatch, type PreparedBatch } from './message-prepare.js';
import { applyFlags, attachByEnvelope, knownUids, removeCopies, reseedFolder, storeBatch } from './message-store.js';
import { envelopeHash } from './message-identity.js';

/** The message store behind the sync loop's port: parse and seal outside, write inside the fenced transaction. */
export function createSyncStore(deps: { parsePool?: Pick<ParsePool, 'parse'>; maxMessageBytes: number; now: () => number }): SyncStore {
  return {
    begin(cipher, folder: FolderRef, uidvalidity) {
      const batch = startBatch(
        cipher,
        { userId: folder.userId, accountId: folder.accountId, folderId: folder.folderId, uidvalidity },
        { parse: deps.parsePool?.parse.bind(deps.parsePool), maxBytes: deps.maxMessageBytes, now: deps.now },
      );
      return {
        add: (m: FetchedMessage) => batch.add({ uid: m.uid, flags: m.flags, modseq: m.modseq, internalDate: m.internalDate, size: m.size, raw: m.raw!, emailId: m.emailId }),
        finish: (uids) => batch.finish(uids),
      };
    },
    async write(trx, prepared) {
      const r = await storeBatch(trx, prepared as PreparedBatch, deps.now());
      return { stored: r.created + r.reattached };
    },
    applyFlags: (trx, folder, uidvalidity, updates) => applyFlags(trx, folder.userId, folder.folderId, uidvalidity, updates, deps.now()),
    removeCopies: (trx, folder, uidvalidity, uids) => removeCopies(trx, folder.userId, folder.folderId, uidvalidity, uids, deps.now()),
    reseedFolder: (trx, folder, uidvalidity) => reseedFolder(trx, folder.userId, folder.folderId, uidvalidity, deps.now()),
    knownUids: (db, folder, uidvalidity) => knownUids(db, folder.userId, folder.folderId, uidvalidity),
    async attachByEnvelope(trx, cipher, folder, uidvalidity, items) {
      const target = { userId: folder.userId, accountId: folder.accountId, folderId: folder.folderId, uidvalidity };
      const { unmatched } = await attachByEnvelope(
        trx,
        target,
        items.map((m) => ({
          uid: m.uid,
          flags: m.flags,
          modseq: m.modseq,
          internalDate: m.internalDate,
          size: m.size,
          emailId: m.emailId,
          envelopeHash: envelopeHash(cipher, { date: m.envelope.date, fromAddress: m.envelope.fromAddress, subject: m.envelope.subject, size: m.size }),
        })),
        deps.now(),
      );
      return unmatched;
    },
  };
}
