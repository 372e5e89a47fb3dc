import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { createImapPool } from '../../../src/mail/imap/pool.js';

/** Just enough of an ImapFlow for the pool: usable, logout, close and the close event. */
function fakeClient() {
  const c = Object.assign(new EventEmitter(), {
    usable: true,
    loggedOut: false,
    async logout() {
      c.loggedOut = true;
      c.usable = false;
      c.emit('close');
    },
    close() {
      c.usable = false;
      c.emit('close');
    },
  });
  return c;
}

function setup(max = 3) {
  const opened: ReturnType<typeof fakeClient>[] = [];
  const pool = createImapPool({
    maxPerAccount: max,
    open: async () => {
      const c = fakeClient();
      opened.push(c);
      return c as unknown as ImapFlow;
    },
  });
  return { pool, opened };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('IMAP connection pool', () => {
  it('never opens more than the cap per account and lets the rest wait their turn', async () => {
    const { pool, opened } = setup(3);
    let running = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    const work = Array.from({ length: 7 }, () =>
      pool.withConnection('acc-1', async () => {
        most = Math.max(most, ++running);
        await new Promise<void>((r) => gates.push(r));
        running--;
      }),
    );
    for (let i = 0; i < 20 && gates.length < 3; i++) await tick();
    expect(pool.stats('acc-1')).toEqual({ open: 3, busy: 3, waiting: 4 });
    while (gates.length > 0 || running > 0) {
      gates.shift()?.();
      await tick();
    }
    await Promise.all(work);
    expect(most).toBe(3);
    expect(opened).toHaveLength(3);
  });

  it('reuses an idle connection instead of logging in again', async () => {
    const { pool, opened } = setup();
    await pool.withConnection('acc-1', async () => {});
    await pool.withConnection('acc-1', async () => {});
    expect(opened).toHaveLength(1);
    // Another account has its own connections.
    await pool.withConnection('acc-2', async () => {});
    expect(opened).toHaveLength(2);
  });

  it('replaces a connection the server closed', async () => {
    const { pool, opened } = setup();
    await pool.withConnection('acc-1', async (c) => void (c as unknown as { close(): void }).close());
    await pool.withConnection('acc-1', async () => {});
    expect(opened).toHaveLength(2);
    expect(pool.stats('acc-1').open).toBe(1);
  });

  it('frees the place of a failed open for the next caller', async () => {
    let fail = true;
    const pool = createImapPool({
      maxPerAccount: 1,
      open: async () => {
        if (fail) throw new Error('auth');
        return fakeClient() as unknown as ImapFlow;
      },
    });
    await expect(pool.withConnection('a', async () => 1)).rejects.toThrow('auth');
    fail = false;
    await expect(pool.withConnection('a', async () => 2)).resolves.toBe(2);
  });

  it('stops a waiter whose signal aborts, and logs out idle connections on closeAccount', async () => {
    const { pool, opened } = setup(1);
    let release!: () => void;
    const busy = pool.withConnection('a', () => new Promise<void>((r) => (release = r)));
    await tick();
    const controller = new AbortController();
    const waiting = pool.withConnection('a', async () => 'never', { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ stage: 'aborted' });
    release();
    await busy;
    await pool.closeAccount('a');
    expect(opened[0]!.loggedOut).toBe(true);
    expect(pool.stats('a').open).toBe(0);
  });
});
