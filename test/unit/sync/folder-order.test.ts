import { expect, it } from 'vitest';
import { compareFolders } from '../../../src/services/sync/account-sync.js';

it('syncs folders in one order whatever order the database returns them in: role, then path, then id', () => {
  const folders = [
    { id: 'f6', role: null, path: 'Projekte/B' },
    { id: 'f1', role: 'sent', path: 'Sent' },
    { id: 'f3', role: null, path: 'Projekte/A' },
    { id: 'f2', role: 'inbox', path: 'INBOX' },
    { id: 'f5', role: null, path: 'Archiv 2023' },
    { id: 'f4', role: 'archive', path: 'Archive' },
    { id: 'f7', role: null, path: 'Projekte/A' },
  ];
  const expected = ['f4', 'f2', 'f1', 'f5', 'f3', 'f7', 'f6'];
  // Every rotation and the reversal of the input gives the same order.
  for (let i = 0; i < folders.length; i++) {
    const rotated = [...folders.slice(i), ...folders.slice(0, i)];
    expect(rotated.sort(compareFolders).map((f) => f.id)).toEqual(expected);
    expect([...rotated].reverse().sort(compareFolders).map((f) => f.id)).toEqual(expected);
  }
});
