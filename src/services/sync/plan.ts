import type { MailboxStatus } from '../../mail/imap/folders.js';

/**
 * The per-folder sync strategy as one pure decision (EmailEngine-style table): from what we stored
 * last time and one STATUS answer, decide whether to skip the folder or what to fetch.
 */
export interface StoredFolderState {
  uidvalidity: number | null;
  uidnext: number | null;
  highestmodseq: number | null;
  /** The server's message count at the end of the last sync (not our stored count: the initial window skips old mail). */
  serverCount: number;
  lastFlagCheckAt: number | null;
}

/** One STATUS answer (or the folder list's LIST-STATUS for the folder). */
export type FolderStatus = MailboxStatus;

export type FolderPlan =
  | { kind: 'skip' }
  | {
      kind: 'sync';
      /** First sync of this folder, or after a UIDVALIDITY change: fetch the initial window. */
      initial: boolean;
      /** UIDVALIDITY changed: old copies become tombstones first, so messages re-attach. */
      reseed: boolean;
      /** Fetch `fromUid:*`. */
      fetchNewFrom: number | null;
      /** How to refresh flags of known messages. */
      flags: 'none' | 'changed-since' | 'all';
    };

export interface PlanOptions {
  hasCondstore: boolean;
  now: number;
  /** Without CONDSTORE, flags of known messages are re-read at most this often. */
  flagCheckIntervalMs: number;
}

export function planFolder(state: StoredFolderState, status: FolderStatus, options: PlanOptions): FolderPlan {
  const firstTime = state.uidvalidity === null || state.uidnext === null;
  const reseed = !firstTime && state.uidvalidity !== status.uidValidity;
  if (firstTime || reseed) return { kind: 'sync', initial: true, reseed, fetchNewFrom: null, flags: 'none' };

  const hasNew = status.uidNext > state.uidnext!;
  const countChanged = status.messages !== state.serverCount;
  let flags: 'none' | 'changed-since' | 'all' = 'none';
  if (options.hasCondstore && status.highestModseq !== null && state.highestmodseq !== null) {
    if (status.highestModseq !== state.highestmodseq) flags = 'changed-since';
  } else if (state.lastFlagCheckAt === null || options.now - state.lastFlagCheckAt >= options.flagCheckIntervalMs) {
    flags = 'all';
  }
  if (!hasNew && !countChanged && flags === 'none') return { kind: 'skip' };
  return { kind: 'sync', initial: false, reseed: false, fetchNewFrom: hasNew ? state.uidnext! : null, flags };
}

/**
 * After new mail is fetched: if the server holds fewer messages than the last count plus the new
 * arrivals, something was expunged and the known UIDs must be compared with the server's.
 */
export function needsDeletionCheck(status: FolderStatus, state: StoredFolderState, newOnServer: number): boolean {
  return status.messages !== state.serverCount + newOnServer;
}

/** The initial window: the newest `max` UIDs among those the server found since the window start. */
export function initialWindow(uidsSince: number[], max: number): number[] {
  return [...uidsSince].sort((a, b) => b - a).slice(0, max);
}
