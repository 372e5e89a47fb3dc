import type { Executor } from '../db/schema.js';
import { accountsRepository } from '../repositories/accounts.js';

/** The capabilities the sync chooses its strategy by; the rest would only clutter the output. */
const SYNC_RELEVANT = ['IMAP4REV2', 'IDLE', 'CONDSTORE', 'QRESYNC', 'MOVE', 'UIDPLUS', 'SPECIAL-USE', 'X-GM-EXT-1', 'COMPRESS=DEFLATE', 'OBJECTID'];

/** One line per account: id, state and what its server offered at the last connection. */
export async function describeAccounts(ex: Executor): Promise<string> {
  const rows = await accountsRepository.listStates(ex);
  if (rows.length === 0) return 'no mail accounts yet';
  const lines = rows.map((r) => {
    const caps = (r.capabilities ?? '').split(' ').filter((c) => SYNC_RELEVANT.includes(c));
    return `${r.id} ${r.state}: ${r.capabilities === null ? 'not connected yet' : caps.join(' ') || 'IMAP4rev1 only'}`;
  });
  return `${rows.length} mail account(s)\n${lines.map((l) => `  ${l}`).join('\n')}`;
}
