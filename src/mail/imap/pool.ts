import type { ImapFlow } from 'imapflow';
import { ImapConnectError } from './errors.js';

/**
 * Caps and reuses IMAP connections per account. Servers limit connections per user (Gmail 15,
 * GMX and others fewer), and every part that talks IMAP for an account (tests of a saved account,
 * folder refresh, sync, write-back) borrows from here, so together they never exceed the cap.
 */
export interface ImapPool {
  /** Runs `fn` with a logged-in client of this account, waiting for a free slot when all are busy. */
  withConnection<T>(accountId: string, fn: (client: ImapFlow) => Promise<T>, options?: { signal?: AbortSignal }): Promise<T>;
  /** Closes the account's idle connections and refuses new ones until `fn` is done (account deletion). */
  closeAccount(accountId: string): Promise<void>;
  stats(accountId: string): { open: number; busy: number; waiting: number };
  close(): Promise<void>;
}

export interface PoolOptions {
  /** Opens a logged-in client for the account (reads and opens its sealed settings). */
  open(accountId: string, signal?: AbortSignal): Promise<ImapFlow>;
  maxPerAccount: number;
  /** Idle connections are logged out after this long. */
  idleMs?: number;
}

interface Slot {
  client: ImapFlow;
  busy: boolean;
  idleTimer: NodeJS.Timeout | null;
}

interface Waiter {
  resolve(slot: Slot | null): void;
  reject(err: unknown): void;
}

interface AccountPool {
  slots: Set<Slot>;
  /** Connections being opened count against the cap too. */
  opening: number;
  waiters: Waiter[];
}

function quietLogout(client: ImapFlow): void {
  if (client.usable) client.logout().catch(() => client.close());
  else client.close();
}

export function createImapPool(options: PoolOptions): ImapPool {
  const idleMs = options.idleMs ?? 60_000;
  const pools = new Map<string, AccountPool>();
  let closed = false;

  const poolOf = (accountId: string): AccountPool => {
    let p = pools.get(accountId);
    if (!p) pools.set(accountId, (p = { slots: new Set(), opening: 0, waiters: [] }));
    return p;
  };

  const drop = (p: AccountPool, slot: Slot) => {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    p.slots.delete(slot);
    quietLogout(slot.client);
  };

  /** Hands a free slot to the next waiter, or tells it a place for a new connection opened up. */
  const wakeNext = (p: AccountPool) => {
    const waiter = p.waiters.shift();
    if (!waiter) return;
    const idle = [...p.slots].find((s) => !s.busy);
    if (idle) {
      take(idle);
      waiter.resolve(idle);
    } else if (p.slots.size + p.opening < options.maxPerAccount) {
      // The place is reserved for this waiter now, so nobody overtakes it while it wakes up.
      p.opening++;
      waiter.resolve(null);
    } else {
      p.waiters.unshift(waiter);
    }
  };

  const take = (slot: Slot) => {
    slot.busy = true;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
  };

  const acquire = async (accountId: string, signal?: AbortSignal): Promise<Slot> => {
    if (closed) throw new ImapConnectError('aborted', 'The connection pool is closed');
    const p = poolOf(accountId);
    for (const slot of p.slots) {
      if (slot.busy) continue;
      if (!slot.client.usable) {
        drop(p, slot);
        continue;
      }
      take(slot);
      return slot;
    }
    let reserved = false;
    if (p.slots.size + p.opening >= options.maxPerAccount) {
      const got = await new Promise<Slot | null>((resolve, reject) => {
        const waiter: Waiter = { resolve, reject };
        p.waiters.push(waiter);
        signal?.addEventListener(
          'abort',
          () => {
            p.waiters = p.waiters.filter((w) => w !== waiter);
            reject(new ImapConnectError('aborted', 'Cancelled while waiting for a free IMAP connection'));
          },
          { once: true },
        );
      });
      if (got) return got;
      reserved = true;
    }
    if (!reserved) p.opening++;
    try {
      const client = await options.open(accountId, signal);
      const slot: Slot = { client, busy: true, idleTimer: null };
      // A connection the server closes leaves the pool at once, making room for a new one.
      client.on('close', () => {
        if (p.slots.delete(slot)) {
          if (slot.idleTimer) clearTimeout(slot.idleTimer);
          wakeNext(p);
        }
      });
      p.slots.add(slot);
      return slot;
    } finally {
      p.opening--;
      // A failed open freed its place: let the next waiter try.
      if (p.slots.size + p.opening < options.maxPerAccount) wakeNext(p);
    }
  };

  const release = (accountId: string, slot: Slot) => {
    const p = poolOf(accountId);
    slot.busy = false;
    if (closed || !slot.client.usable || !p.slots.has(slot)) {
      drop(p, slot);
    } else {
      slot.idleTimer = setTimeout(() => {
        if (!slot.busy) drop(p, slot);
      }, idleMs);
      slot.idleTimer.unref();
    }
    wakeNext(p);
  };

  return {
    async withConnection(accountId, fn, opts = {}) {
      const slot = await acquire(accountId, opts.signal);
      try {
        return await fn(slot.client);
      } finally {
        release(accountId, slot);
      }
    },
    async closeAccount(accountId) {
      const p = pools.get(accountId);
      if (!p) return;
      for (const slot of [...p.slots]) if (!slot.busy) drop(p, slot);
      for (const w of p.waiters.splice(0)) w.reject(new ImapConnectError('aborted', 'The account is being removed'));
      if (p.slots.size === 0 && p.opening === 0) pools.delete(accountId);
    },
    stats(accountId) {
      const p = pools.get(accountId);
      if (!p) return { open: 0, busy: 0, waiting: 0 };
      return { open: p.slots.size + p.opening, busy: [...p.slots].filter((s) => s.busy).length + p.opening, waiting: p.waiters.length };
    },
    async close() {
      closed = true;
      for (const [id, p] of pools) {
        for (const slot of [...p.slots]) if (!slot.busy) drop(p, slot);
        for (const w of p.waiters.splice(0)) w.reject(new ImapConnectError('aborted', 'The connection pool is closed'));
        pools.delete(id);
      }
    },
  };
}
