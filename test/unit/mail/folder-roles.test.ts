import { describe, expect, it } from 'vitest';
import { assignRoles, folderName, roleFromName, syncedByDefault } from '../../../src/mail/imap/folders.js';

const entry = (path: string, flags: string[] = [], delimiter = '/') => ({ path, delimiter, flags });

describe('folder roles', () => {
  it('takes roles from SPECIAL-USE flags first, then from common names in several languages', () => {
    const roles = assignRoles([
      entry('INBOX'),
      entry('Gesendete Objekte'),
      entry('Papierkorb'),
      entry('Entwürfe'),
      entry('Spamverdacht'),
      entry('Archiv'),
      entry('Ablage', ['\\Archive']),
    ]);
    expect(roles).toEqual(['inbox', 'sent', 'trash', 'drafts', 'junk', null, 'archive']);
  });

  it('knows Gmail’s system folders, also under the German "[Google Mail]"', () => {
    const roles = assignRoles([
      entry('[Gmail]/All Mail'),
      entry('[Gmail]/Starred'),
      entry('[Gmail]/Important'),
      entry('[Google Mail]/Gesendet'),
      entry('[Google Mail]/Papierkorb'),
    ]);
    expect(roles).toEqual(['all', 'flagged', 'important', 'sent', 'trash']);
    // Outside "[Gmail]/" such names are ordinary folders.
    expect(roleFromName('Projects/Important', '/')).toBeNull();
  });

  it('gives each role to one folder only, a server flag beating a name', () => {
    expect(assignRoles([entry('Sent'), entry('Sent Items', ['\\Sent']), entry('Gesendet')])).toEqual([null, 'sent', null]);
  });

  it('syncs everything by default except Trash, Junk and the virtual folders', () => {
    expect(['inbox', 'sent', 'drafts', 'archive', null].map((r) => syncedByDefault(r as never))).toEqual([true, true, true, true, true]);
    expect(['trash', 'junk', 'all', 'flagged', 'important'].map((r) => syncedByDefault(r as never))).toEqual([false, false, false, false, false]);
  });

  it('names a folder by its last path segment', () => {
    expect(folderName('INBOX.Rechnungen.2026', '.')).toBe('2026');
    expect(folderName('INBOX', '/')).toBe('INBOX');
  });
});
