import net from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { startImapProxy, type ImapProxy } from '../../support/imap-proxy.js';
import type { TestUser } from '../../support/dovecot.js';
import { describeWithDovecot } from '../../support/testbed.js';

/** The commands an imapflow client reports having sent (its debug log), counted by name. */
function commandLog() {
  const counts: Record<string, number> = {};
  const record = (entry: { src?: string; msg?: string }) => {
    if (entry.src !== 'c' || !entry.msg || entry.msg.startsWith('(*')) return;
    const [, name, sub] = entry.msg.split(' ');
    if (!name) return;
    const key = name.toUpperCase() === 'UID' ? `UID ${sub!.toUpperCase()}` : name.toUpperCase();
    counts[key] = (counts[key] ?? 0) + 1;
  };
  const noop = () => {};
  return { counts, logger: { debug: record, info: noop, warn: noop, error: noop, trace: noop } };
}

describeWithDovecot('imap proxy', 'full', (ctx) => {
  let proxy: ImapProxy;
  let user: TestUser;
  const clients: ImapFlow[] = [];

  const connect = async (extra: Record<string, unknown> = {}) => {
    const c = await ctx.server.connect(user, { host: proxy.host, port: proxy.port, via: 'plain', disableAutoIdle: true, ...extra });
    c.on('error', () => {}); // faults below end connections on purpose; assertions look at the outcome
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    user = ctx.server.createUser('proxied');
    ctx.server.fillGenerated(user, { seed: 11, count: 30, kinds: ['plain', 'attachment'] });
    await ctx.server.createFolder(user, 'Archive');
    proxy = await startImapProxy({ upstream: { host: ctx.server.host, port: ctx.server.port } });
  });
  afterEach(async () => {
    proxy.faults.clear();
    for (const c of clients.splice(0)) c.close();
    proxy.reset();
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('counts exactly the commands an imapflow session sent, not literal data or IDLE’s DONE', async () => {
    const log = commandLog();
    const c = await connect({ logger: log.logger });
    await c.list();
    await c.mailboxOpen('INBOX');
    for await (const _ of c.fetch('1:5', { envelope: true })) void _;
    // The literal holds lines that look like commands; they must not be counted.
    await c.append('Archive', Buffer.from('Subject: x\r\n\r\nA1 FETCH 1:* (FLAGS)\r\nB2 LOGOUT\r\n'), ['\\Seen']);
    await c.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
    const idling = c.idle();
    while (!proxy.connections.at(-1)!.log.includes('IDLE')) await new Promise((r) => setTimeout(r, 10));
    await c.status('Archive', { messages: true }); // ends the IDLE with DONE first
    await idling;
    await c.logout();

    expect(proxy.totals()).toEqual(log.counts);
    expect(proxy.count('APPEND')).toBe(1);
    expect(proxy.count('FETCH') + proxy.count('UID FETCH')).toBeGreaterThan(0);
    expect(proxy.connections).toHaveLength(1);
    expect(proxy.connections[0]!.log.at(-1)).toBe('LOGOUT');
  });

  it('tells commands from SASL continuations and synchronising / non-synchronising literals on a raw connection', async () => {
    const s = net.connect(proxy.port, proxy.host);
    const received: string[] = [];
    const waitFor = (re: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => (re.test(received.join('')) ? resolve() : setTimeout(check, 10));
        check();
      });
    s.on('data', (d) => received.push(d.toString('latin1')));
    await waitFor(/^\* OK/);
    s.write('a1 AUTHENTICATE PLAIN\r\n');
    await waitFor(/\+ ?\r\n/);
    s.write(`${Buffer.from(`\0${user.name}\0${user.password}`).toString('base64')}\r\n`);
    await waitFor(/a1 OK/);
    const body = 'Subject: y\r\n\r\nc9 DELETE INBOX\r\n';
    s.write(`a2 APPEND Archive {${body.length}+}\r\n${body}\r\n`);
    await waitFor(/a2 OK/);
    s.write(`a3 APPEND Archive {${body.length}}\r\n`);
    await waitFor(/\+ OK/);
    s.write(`${body}\r\na4 SELECT INBOX\r\na5 UID FETCH 1 (FLAGS)\r\na6 LOGOUT\r\n`);
    await waitFor(/a6 OK/);
    s.destroy();
    expect(proxy.totals()).toEqual({ AUTHENTICATE: 1, APPEND: 2, SELECT: 1, 'UID FETCH': 1, LOGOUT: 1 });
  });

  it('answers NO to one folder’s SELECT while other folders open', async () => {
    proxy.faults.rejectSelect('Archive');
    const c = await connect();
    await c.mailboxOpen('INBOX');
    const err = await c.mailboxOpen('Archive').then(() => null, (e: { response?: unknown }) => e);
    expect(JSON.stringify(err?.response ?? null)).toMatch(/UNAVAILABLE/);
    expect((await c.mailboxOpen('INBOX')).exists).toBeGreaterThan(0);
    expect(proxy.fired).toEqual([{ type: 'reject', connection: proxy.connections.at(-1)!.id, command: 'SELECT', mailbox: 'Archive' }]);
  });

  it('throttles a command with a [THROTTLED] NO, once', async () => {
    const c = await connect();
    await c.mailboxOpen('INBOX');
    proxy.faults.throttle('UID FETCH');
    const err = await c.fetchAll('1:*', { flags: true }, { uid: true }).then(() => null, (e: { response?: unknown }) => e);
    expect(JSON.stringify(err?.response ?? null)).toMatch(/THROTTLED/);
    expect((await c.fetchAll('1:*', { flags: true }, { uid: true })).length).toBeGreaterThan(0);
    expect(proxy.fired.map((f) => f.type)).toEqual(['reject']);
  });

  it('drops the connection after N bytes of a FETCH response', async () => {
    const c = await connect();
    await c.mailboxOpen('INBOX');
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    proxy.faults.dropAfterBytes(300, { afterCommand: 'UID FETCH' });
    const conn = proxy.connections.at(-1)!;
    const before = conn.bytesToClient;
    const fetched: unknown[] = [];
    const err = await (async () => {
      for await (const m of c.fetch('1:*', { source: true }, { uid: true })) fetched.push(m);
    })().then(() => null, (e: Error) => e);
    await closed;
    expect(err).not.toBeNull();
    expect(c.usable).toBe(false);
    expect(conn.bytesToClient - before).toBe(300);
    expect(conn.closed).toBe(true);
    expect(proxy.fired.map((f) => f.type)).toEqual(['drop']);
  });

  it('stalls longer than the client’s socket timeout, and the client gives up', async () => {
    const c = await connect({ socketTimeout: 1_000 });
    const errors: string[] = [];
    c.on('error', (e: { code?: string }) => errors.push(e.code ?? 'error'));
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    proxy.faults.stall({ afterCommand: 'NOOP' });
    await c.noop().catch(() => {});
    await closed;
    expect(errors).toContain('ETIMEOUT');
    expect(proxy.connections.at(-1)!.log.at(-1)).toBe('NOOP');
    expect(proxy.fired.map((f) => f.type)).toEqual(['stall']);
  });

  it('terminates TLS on both sides and still counts (IMAPS mode)', async () => {
    const tlsProxy = await startImapProxy({
      upstream: { host: ctx.server.host, port: ctx.server.tlsPort, tls: true },
      listenTls: { key: ctx.server.keyPem, cert: ctx.server.certPem },
    });
    try {
      const c = await ctx.server.connect(user, { host: tlsProxy.host, port: tlsProxy.port, via: 'tls', disableAutoIdle: true });
      expect(c.secureConnection).toBe(true);
      await c.mailboxOpen('INBOX');
      await c.logout();
      expect(tlsProxy.count('SELECT')).toBe(1);
      expect(tlsProxy.count('LOGOUT')).toBe(1);
    } finally {
      await tlsProxy.close();
    }
  });
});
