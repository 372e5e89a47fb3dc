import type { ImapFlow, ListResponse } from 'imapflow';
import type { Kysely } from 'kysely';
import type { Crypto } from '../../crypto/crypto.js';
import { newId } from '../../db/ids.js';
import type { Database, FolderRole } from '../../db/schema.js';
import { foldersRepository } from '../../repositories/folders.js';

/** A folder as the server lists it, names already decoded from modified UTF-7 by imapflow. */
export interface DiscoveredFolder {
  path: string;
  delimiter: string | null;
  role: FolderRole | null;
  /** Proposed for sync when the folder is first seen; the user's later choice is kept. */
  syncByDefault: boolean;
  messages: number;
  unseen: number;
  /**
   * What a STATUS of the folder would answer, read with the list (LIST-STATUS, or imapflow's STATUS
   * per folder where the server lacks it); null when the server left an item out.
   */
  status: MailboxStatus | null;
}

/** A folder's STATUS as the sync plans from it. */
export interface MailboxStatus {
  uidValidity: number;
  uidNext: number;
  messages: number;
  /** Null without CONDSTORE. */
  highestModseq: number | null;
}

const flagRoles: Record<string, FolderRole> = {
  '\\sent': 'sent',
  '\\drafts': 'drafts',
  '\\trash': 'trash',
  '\\junk': 'junk',
  '\\archive': 'archive',
  '\\all': 'all',
  '\\flagged': 'flagged',
  '\\important': 'important',
};

/** Common names of special folders (lower case), for servers without SPECIAL-USE. Checked on the last path segment. */
const nameRoles: [FolderRole, string[]][] = [
  ['sent', ['sent', 'sent items', 'sent mail', 'sent messages', 'gesendet', 'gesendete objekte', 'gesendete elemente', 'gesendete nachrichten', 'envoyés', 'éléments envoyés', 'messages envoyés', 'posta inviata', 'inviati', 'elementi inviati']],
  ['drafts', ['drafts', 'draft', 'entwürfe', 'entwurf', 'brouillons', 'bozze']],
  ['trash', ['trash', 'deleted items', 'deleted messages', 'deleted', 'bin', 'papierkorb', 'gelöschte elemente', 'gelöschte objekte', 'corbeille', 'éléments supprimés', 'cestino', 'posta eliminata']],
  ['junk', ['junk', 'spam', 'junk e-mail', 'junk email', 'junk mail', 'bulk mail', 'spamverdacht', 'unerwünscht', 'junk-e-mail', 'courrier indésirable', 'indésirables', 'posta indesiderata']],
  ['archive', ['archive', 'archives', 'archiv', 'archivio']],
  ['all', ['all mail', 'alle nachrichten', 'tous les messages', 'tutti i messaggi']],
  ['flagged', ['starred', 'markiert', 'suivis', 'speciali']],
  ['important', ['important', 'wichtig', 'importants', 'importanti']],
];

const byName = new Map<string, FolderRole>(nameRoles.flatMap(([role, names]) => names.map((n) => [n, role] as [string, FolderRole])));

/** Gmail puts its system folders under "[Gmail]" ("[Google Mail]" in Germany and the UK). */
export function isGmailSystemPath(path: string): boolean {
  return /^\[(gmail|google mail)\]\//i.test(path);
}

function lastSegment(path: string, delimiter: string | null): string {
  return delimiter ? (path.split(delimiter).at(-1) ?? path) : path;
}

/** The role a server flag gives, or null. */
export function roleFromFlags(flags: Iterable<string>): FolderRole | null {
  for (const flag of flags) {
    const role = flagRoles[flag.toLowerCase()];
    if (role) return role;
  }
  return null;
}

/** The role a folder's name suggests, or null. Virtual Gmail folders only count under "[Gmail]/". */
export function roleFromName(path: string, delimiter: string | null): FolderRole | null {
  if (path.toUpperCase() === 'INBOX') return 'inbox';
  const role = byName.get(lastSegment(path, delimiter).toLowerCase()) ?? null;
  if ((role === 'all' || role === 'flagged' || role === 'important') && !isGmailSystemPath(path)) return null;
  return role;
}

/**
 * Whether a newly seen folder is synced by default: everything but Trash and Junk, and never the
 * virtual folders (Gmail's All Mail, Important, Starred; \All and \Flagged elsewhere), which only
 * repeat mail from other folders.
 */
export function syncedByDefault(role: FolderRole | null): boolean {
  return !(role === 'trash' || role === 'junk' || role === 'all' || role === 'flagged' || role === 'important');
}

function selectable(entry: ListResponse): boolean {
  for (const f of entry.flags) if (/^\\(noselect|nonexistent)$/i.test(f)) return false;
  return true;
}

/**
 * Assigns roles: server flags (SPECIAL-USE, XLIST) first, then names; one folder per role, so
 * "Sent" and a legacy "Sent Items" do not both become the sent folder.
 */
export function assignRoles(entries: { path: string; delimiter: string | null; flags: Iterable<string> }[]): (FolderRole | null)[] {
  const taken = new Set<FolderRole>();
  const roles: (FolderRole | null)[] = entries.map((e) => {
    const role = e.path.toUpperCase() === 'INBOX' ? 'inbox' : roleFromFlags(e.flags);
    if (role && !taken.has(role)) {
      taken.add(role);
      return role;
    }
    return null;
  });
  return entries.map((e, i) => {
    if (roles[i]) return roles[i]!;
    const role = roleFromName(e.path, e.delimiter);
    if (!role || taken.has(role)) return null;
    taken.add(role);
    return role;
  });
}

/**
 * LIST with SPECIAL-USE and STATUS, including what the sync plans from (UIDVALIDITY, UIDNEXT,
 * HIGHESTMODSEQ), so an unchanged folder needs no command of its own; only folders that can be selected.
 */
export async function discoverFolders(client: ImapFlow): Promise<DiscoveredFolder[]> {
  const condstore = client.capabilities.has('CONDSTORE');
  const statusQuery = { messages: true, unseen: true, uidNext: true, uidValidity: true, highestModseq: condstore };
  const listed = (await client.list({ statusQuery })).filter(selectable);
  const roles = assignRoles(listed.map((e) => ({ path: e.path, delimiter: e.delimiter || null, flags: e.flags })));
  return listed.map((e, i) => ({
    path: e.path,
    delimiter: e.delimiter || null,
    role: roles[i]!,
    syncByDefault: syncedByDefault(roles[i]!),
    messages: Number(e.status?.messages ?? 0),
    unseen: Number(e.status?.unseen ?? 0),
    status: mailboxStatus(e.status, condstore),
  }));
}

function mailboxStatus(status: ListResponse['status'], condstore: boolean): MailboxStatus | null {
  if (!status || status.uidValidity === undefined || status.uidNext === undefined || status.messages === undefined) return null;
  if (condstore && status.highestModseq === undefined) return null;
  return {
    uidValidity: Number(status.uidValidity),
    uidNext: Number(status.uidNext),
    messages: Number(status.messages),
    highestModseq: condstore ? Number(status.highestModseq) : null,
  };
}

/** The display name: the last path segment. */
export function folderName(path: string, delimiter: string | null): string {
  return lastSegment(path, delimiter);
}

export const FOLDER_PATH_CONTEXT = 'folder.path.v1';

export interface RefreshFoldersDeps {
  db: Kysely<Database>;
  crypto: Pick<Crypto, 'forUser'>;
  now?: () => number;
}

export interface FolderRefreshResult {
  added: number;
  updated: number;
  gone: number;
  /** The listed STATUS of each folder by id, where the server gave all of it. */
  statuses: Map<string, MailboxStatus>;
}

/**
 * Reads the server's folder list and brings the `folders` table in line: new folders are added with
 * the default sync choice (or `selectPaths` when given, at account creation), known ones get their
 * role and counts, vanished ones are marked gone (their messages stay until the sync decides).
 * The sync calls this at the start of every run. Network I/O happens before the transaction.
 */
export async function refreshFolders(
  deps: RefreshFoldersDeps,
  userId: string,
  accountId: string,
  client: ImapFlow,
  options: { selectPaths?: string[] } = {},
): Promise<FolderRefreshResult> {
  const now = (deps.now ?? Date.now)();
  const discovered = await discoverFolders(client);
  const cipher = await deps.crypto.forUser(userId);
  const hashOf = (path: string) => cipher.lookupHash(FOLDER_PATH_CONTEXT, path).toString('hex');
  const select = options.selectPaths ? new Set(options.selectPaths) : null;
  return deps.db.transaction().execute(async (trx) => {
    const known = new Map((await foldersRepository.listForAccount(trx, userId, accountId, { includeGone: true })).map((r) => [Buffer.from(r.path_hash).toString('hex'), r]));
    const seen = new Set<string>();
    const result: FolderRefreshResult = { added: 0, updated: 0, gone: 0, statuses: new Map() };
    for (const f of discovered) {
      const hash = hashOf(f.path);
      if (seen.has(hash)) continue;
      seen.add(hash);
      const row = known.get(hash);
      const id = row?.id ?? newId();
      if (f.status) result.statuses.set(id, f.status);
      if (row) {
        await foldersRepository.updateListing(trx, userId, row.id, f, now);
        result.updated++;
      } else {
        await foldersRepository.insert(
          trx,
          userId,
          accountId,
          {
            id,
            path: cipher.sealText(FOLDER_PATH_CONTEXT, id, f.path),
            pathHash: Buffer.from(hash, 'hex'),
            delimiter: f.delimiter,
            role: f.role,
            synced: select ? select.has(f.path) : f.syncByDefault,
            messages: f.messages,
            unseen: f.unseen,
          },
          now,
        );
        result.added++;
      }
    }
    const gone = [...known.entries()].filter(([hash, row]) => !seen.has(hash) && !row.is_gone).map(([, row]) => row.id);
    await foldersRepository.markGone(trx, userId, gone, now);
    result.gone = gone.length;
    return result;
  });
}
