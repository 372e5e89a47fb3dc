import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useSyncExternalStore } from 'react';
import type { SyncProgress } from './types';

/**
 * Live account syncs: one EventSource per tab (GET /api/events) feeds a small store of running
 * sync jobs per account. The event stream carries job ids, not account ids, so the store learns
 * which job belongs to which account from "sync now" answers (kept in sessionStorage for reloads).
 */

export const ACCOUNT_SYNC = 'account.sync';
export const ACCOUNTS_KEY = ['accounts'];
export const accountKey = (id: string) => ['accounts', id];
export const foldersKey = (id: string) => ['accounts', id, 'folders'];

export interface LiveSync {
  jobId: string;
  progress: SyncProgress | null;
  /** How the job ended; absent while it runs. */
  outcome?: 'completed' | 'failed';
}

interface JobRef {
  id: string;
  type: string;
  state?: string;
  progress?: SyncProgress | null;
}

const STORAGE_KEY = 'mailhelper.syncJobs';
const listeners = new Set<() => void>();
let byAccount: Record<string, LiveSync> = {};

function jobAccounts(): Record<string, string> {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}

function rememberJob(jobId: string, accountId: string | null): void {
  const map = jobAccounts();
  if (accountId) map[jobId] = accountId;
  else delete map[jobId];
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(map));
}

function set(accountId: string, next: LiveSync): void {
  byAccount = { ...byAccount, [accountId]: next };
  for (const l of listeners) l();
}

/**
 * Events of jobs this tab cannot place yet: the stream can be faster than the "sync now" answer, and
 * scheduled syncs are never placed. Bounded, as a long-open tab sees many scheduled syncs.
 */
const orphans = new Map<string, LiveSync>();

function keepOrphan(state: LiveSync): void {
  orphans.delete(state.jobId);
  orphans.set(state.jobId, state);
  if (orphans.size > 50) orphans.delete(orphans.keys().next().value!);
}

/** Called with the answer of POST /api/accounts/:id/sync (a new job, or the one already running). */
export function trackSync(client: QueryClient, accountId: string, jobId: string): void {
  const early = orphans.get(jobId);
  orphans.delete(jobId);
  if (early?.outcome) {
    set(accountId, early);
    refetchAccount(client, accountId);
    return;
  }
  rememberJob(jobId, accountId);
  const current = byAccount[accountId];
  if (current?.jobId === jobId && !current.outcome) return;
  set(accountId, early ?? { jobId, progress: null });
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useLiveSync(accountId: string): LiveSync | undefined {
  return useSyncExternalStore(subscribe, () => byAccount[accountId]);
}

/** The account (with its folders) and the list; without an account, every account query. */
function refetchAccount(client: QueryClient, accountId: string | undefined): void {
  if (!accountId) {
    void client.invalidateQueries({ queryKey: ACCOUNTS_KEY });
    return;
  }
  void client.invalidateQueries({ queryKey: accountKey(accountId) });
  void client.invalidateQueries({ queryKey: ACCOUNTS_KEY, exact: true });
}

function onEvent(client: QueryClient, name: string, data: Record<string, unknown>): void {
  // Mail state: new mail, changed counts and every finished job (sync, analysis, write-back) re-read the matrix and lists.
  if (MAIL_EVENTS.includes(name) || name === 'job.completed') {
    void client.invalidateQueries({ queryKey: ['dashboard'] });
    void client.invalidateQueries({ queryKey: ['messages'] });
    // A message's own state (pending write-back confirmed or failed) shows in its view too.
    if (name === 'messages.changed') void client.invalidateQueries({ queryKey: ['message'] });
    if (name !== 'job.completed') return;
  }
  if (name === 'snapshot') {
    // Sent on every (re)connect: what runs now. A sync that ended while the stream was down is
    // not in it; its bar goes and the account is re-read.
    const jobs = ((data.jobs as JobRef[] | undefined) ?? []).filter((j) => j.type === ACCOUNT_SYNC);
    const open = new Set(jobs.map((j) => j.id));
    for (const [accountId, live] of Object.entries(byAccount)) {
      if (live.outcome || open.has(live.jobId)) continue;
      const { [accountId]: _gone, ...rest } = byAccount;
      byAccount = rest;
      rememberJob(live.jobId, null);
      refetchAccount(client, accountId);
    }
    const map = jobAccounts();
    for (const job of jobs) {
      const accountId = map[job.id];
      const previous = accountId ? byAccount[accountId] : undefined;
      if (accountId) set(accountId, { jobId: job.id, progress: job.progress ?? (previous?.jobId === job.id ? previous.progress : null) });
    }
    for (const l of listeners) l();
    return;
  }
  if (data.type !== ACCOUNT_SYNC || typeof data.jobId !== 'string') return;
  const jobId = data.jobId;
  const accountId = jobAccounts()[jobId];
  const previous = accountId ? byAccount[accountId] : orphans.get(jobId);
  let next: LiveSync;
  if (name === 'job.progress') next = { jobId, progress: (data.progress as SyncProgress | null) ?? null };
  else if (name === 'job.completed' || name === 'job.failed') {
    const progress = previous?.jobId === jobId ? previous.progress : null;
    next = { jobId, progress, outcome: name === 'job.completed' ? 'completed' : 'failed' };
  } else return;

  if (accountId) {
    set(accountId, next);
    if (next.outcome) rememberJob(jobId, null);
    // The first sign of a sync (state moved to "syncing") and its end both change the account.
    if (next.outcome || previous?.jobId !== jobId || !previous.progress) refetchAccount(client, accountId);
  } else {
    // Re-read once when an unplaced sync starts and once when it ends, so the list shows its state.
    if (next.outcome || !previous) refetchAccount(client, undefined);
    keepOrphan(next);
  }
}

const MAIL_EVENTS = ['counts.changed', 'mail.new', 'messages.changed'];
const EVENT_NAMES = ['snapshot', 'job.progress', 'job.completed', 'job.failed', ...MAIL_EVENTS];

/** Opens the tab's one event stream while a user is fully signed in. */
export function useEventStream(enabled: boolean): void {
  const client = useQueryClient();
  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource('/api/events');
    const handlers = EVENT_NAMES.map((name) => {
      const handler = (e: MessageEvent<string>) => {
        try {
          onEvent(client, name, JSON.parse(e.data) as Record<string, unknown>);
        } catch {
          // A malformed event is ignored; the next re-fetch shows the truth.
        }
      };
      source.addEventListener(name, handler);
      return [name, handler] as const;
    });
    return () => {
      for (const [name, handler] of handlers) source.removeEventListener(name, handler);
      source.close();
    };
  }, [enabled, client]);
}
