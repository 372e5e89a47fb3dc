import { describe, expect, it } from 'vitest';
import { initialWindow, needsDeletionCheck, planFolder, type StoredFolderState } from '../../../src/services/sync/plan.js';

const now = 1_764_331_200_000;
const synced: StoredFolderState = { uidvalidity: 7, uidnext: 101, highestmodseq: 500, serverCount: 100, lastFlagCheckAt: now - 60_000 };
const opts = { hasCondstore: true, now, flagCheckIntervalMs: 15 * 60_000 };

describe('per-folder sync plan', () => {
  it('skips an unchanged folder (one STATUS, nothing else)', () => {
    expect(planFolder(synced, { uidValidity: 7, uidNext: 101, messages: 100, highestModseq: 500 }, opts)).toEqual({ kind: 'skip' });
  });

  it('fetches only new mail from the stored UIDNEXT', () => {
    expect(planFolder(synced, { uidValidity: 7, uidNext: 105, messages: 104, highestModseq: 504 }, opts)).toEqual({
      kind: 'sync',
      initial: false,
      reseed: false,
      fetchNewFrom: 101,
      flags: 'changed-since',
    });
  });

  it('uses CHANGEDSINCE for flag changes when the server has CONDSTORE', () => {
    const plan = planFolder(synced, { uidValidity: 7, uidNext: 101, messages: 100, highestModseq: 501 }, opts);
    expect(plan).toMatchObject({ kind: 'sync', fetchNewFrom: null, flags: 'changed-since' });
  });

  it('without CONDSTORE re-reads flags at most every interval', () => {
    const plain = { ...opts, hasCondstore: false };
    const state = { ...synced, highestmodseq: null };
    const status = { uidValidity: 7, uidNext: 101, messages: 100, highestModseq: null };
    expect(planFolder(state, status, plain)).toEqual({ kind: 'skip' });
    expect(planFolder({ ...state, lastFlagCheckAt: now - 16 * 60_000 }, status, plain)).toMatchObject({ kind: 'sync', flags: 'all' });
  });

  it('a lower message count means deletions to look for', () => {
    expect(planFolder(synced, { uidValidity: 7, uidNext: 101, messages: 98, highestModseq: 502 }, opts)).toMatchObject({ kind: 'sync', fetchNewFrom: null });
    expect(needsDeletionCheck({ uidValidity: 7, uidNext: 101, messages: 98, highestModseq: 502 }, synced, 0)).toBe(true);
    expect(needsDeletionCheck({ uidValidity: 7, uidNext: 103, messages: 102, highestModseq: 502 }, synced, 2)).toBe(false);
    expect(needsDeletionCheck({ uidValidity: 7, uidNext: 103, messages: 101, highestModseq: 502 }, synced, 2)).toBe(true);
  });

  it('first sync and a UIDVALIDITY change both take the initial window; the change reseeds', () => {
    const fresh = { uidvalidity: null, uidnext: null, highestmodseq: null, serverCount: 0, lastFlagCheckAt: null };
    expect(planFolder(fresh, { uidValidity: 7, uidNext: 5, messages: 4, highestModseq: 9 }, opts)).toMatchObject({ initial: true, reseed: false });
    expect(planFolder(synced, { uidValidity: 8, uidNext: 101, messages: 100, highestModseq: 500 }, opts)).toMatchObject({ initial: true, reseed: true });
  });

  it('the initial window keeps the newest UIDs', () => {
    expect(initialWindow([3, 9, 1, 7, 5], 3)).toEqual([9, 7, 5]);
  });
});
