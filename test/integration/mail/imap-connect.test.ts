import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectImap, type ConnectOptions, type ImapEndpoint } from '../../../src/mail/imap/connect.js';
import { ImapConnectError } from '../../../src/mail/imap/errors.js';
import { startImapProxy, type ImapProxy } from '../../support/imap-proxy.js';
import type { TestUser } from '../../support/dovecot.js';
import { describeWithDovecot } from '../../support/testbed.js';

const open: ConnectOptions = { policy: { allowPrivate: true, insecureHosts: [] } };
const closed: ConnectOptions = { policy: { allowPrivate: false, insecureHosts: [] } };

async function stageOf(endpoint: ImapEndpoint, options: ConnectOptions): Promise<ImapConnectError> {
  try {
    const c = await connectImap(endpoint, options);
    c.client.close();
  } catch (err) {
    if (err instanceof ImapConnectError) return err;
    throw err;
  }
  throw new Error('connected, but a failure was expected');
}

/** A local TCP server that greets like something else (an SMTP server here) and never speaks IMAP. */
async function startBannerServer(banner: string, answer?: (line: string) => string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.write(banner);
    let buffered = '';
    s.on('data', (d) => {
      buffered += d.toString('latin1');
      for (let i = buffered.indexOf('\r\n'); i >= 0 && answer; i = buffered.indexOf('\r\n')) {
        s.write(answer(buffered.slice(0, i)));
        buffered = buffered.slice(i + 2);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

const base = { user: 'nobody', password: 'irrelevant', security: 'tls' as const, port: 993 };

describe('IMAP connection stages without a server', () => {
  it('names DNS when the host does not exist', async () => {
    const err = await stageOf({ ...base, host: 'no-such-host.invalid' }, open);
    expect(err.stage).toBe('dns');
  });

  it('names refused for a closed port', async () => {
    const err = await stageOf({ ...base, host: '127.0.0.1', port: await closedPort() }, open);
    expect(err.stage).toBe('refused');
  });

  it('refuses loopback, private and link-local targets unless allowed, also behind a host name', async () => {
    for (const host of ['127.0.0.1', 'localhost', '10.1.2.3', '192.168.0.10', '169.254.169.254', '[::1]', '100.64.0.1', '0.0.0.0']) {
      const err = await stageOf({ ...base, host }, closed);
      expect(err.stage, host).toBe('blocked');
    }
    // A public-looking name whose DNS answer is loopback (rebinding, or an /etc/hosts entry).
    const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
    const err = await stageOf({ ...base, host: 'mail.example.com' }, { ...closed, lookup });
    expect(err.stage).toBe('blocked');
  });

  it('connects to the address it checked, never resolving the name again', async () => {
    const server = await startBannerServer('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n');
    let lookups = 0;
    // First answer is loopback (allowed here), any later answer would point elsewhere.
    const lookup = async () => (lookups++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '192.0.2.1', family: 4 }]);
    try {
      const err = await stageOf({ ...base, host: 'rebind.example', port: server.port, security: 'none' }, { ...open, policy: { allowPrivate: true, insecureHosts: ['rebind.example'] }, lookup, timeouts: { totalMs: 1500 } });
      // It reached our local server (which never answers LOGIN), so it used the checked address.
      expect(err.stage).toBe('timeout');
      expect(lookups).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('refuses cleartext to a non-loopback host unless the operator lists it', async () => {
    const lookup = async () => [{ address: '203.0.113.7', family: 4 }];
    const err = await stageOf({ ...base, host: 'mail.example.com', security: 'none', port: 143 }, { ...closed, lookup });
    expect(err.stage).toBe('insecure');
  });

  it('names not_imap for a server that greets like SMTP', async () => {
    const smtp = await startBannerServer('220 mail.example.com ESMTP Postfix\r\n');
    try {
      const err = await stageOf({ ...base, host: '127.0.0.1', port: smtp.port, security: 'none' }, { ...open, timeouts: { greetingMs: 1000 } });
      expect(err.stage).toBe('not_imap');
    } finally {
      await smtp.close();
    }
  });

  it('names not_imap for a POP3 server on the IMAP port', async () => {
    const pop = await startBannerServer('+OK POP3 server ready\r\n');
    try {
      const err = await stageOf({ ...base, host: '127.0.0.1', port: pop.port, security: 'none' }, { ...open, timeouts: { greetingMs: 1000 } });
      expect(err.stage).toBe('not_imap');
    } finally {
      await pop.close();
    }
  });

  it('names not_imap for a server that logs in but does not announce IMAP4rev1', async () => {
    const fake = await startBannerServer('* OK [CAPABILITY XAPPLEPUSHSERVICE] hello\r\n', (line) => {
      const [tag, command] = line.split(' ');
      return command?.toUpperCase() === 'CAPABILITY' ? `* CAPABILITY XAPPLEPUSHSERVICE\r\n${tag} OK done\r\n` : `${tag} OK done\r\n`;
    });
    try {
      const err = await stageOf({ ...base, host: '127.0.0.1', port: fake.port, security: 'none' }, open);
      expect(err.stage).toBe('not_imap');
    } finally {
      await fake.close();
    }
  });

  it('stops at once when the caller aborts', async () => {
    const quiet = await startBannerServer('');
    const controller = new AbortController();
    try {
      const pending = stageOf({ ...base, host: '127.0.0.1', port: quiet.port, security: 'none' }, { ...open, signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      expect((await pending).stage).toBe('aborted');
    } finally {
      await quiet.close();
    }
  });
});

for (const profile of ['full', 'plain'] as const) {
  describeWithDovecot('IMAP connection', profile, (ctx) => {
    let user: TestUser;
    let proxy: ImapProxy;
    beforeAll(async () => {
      user = ctx.server.createUser('conn', 'right-password');
      proxy = await startImapProxy({ upstream: { host: ctx.server.host, port: ctx.server.port } });
    });
    afterAll(async () => proxy?.close());
    const endpoint = (over: Partial<ImapEndpoint> = {}): ImapEndpoint => ({
      host: ctx.server.host,
      port: ctx.server.tlsPort,
      security: 'tls',
      user: user.name,
      password: 'right-password',
      ...over,
    });

    it('names TLS for the self-signed certificate and shows subject, issuer, fingerprint and validity', async () => {
      const err = await stageOf(endpoint(), open);
      expect(err.stage).toBe('tls');
      expect(err.certificate).toMatchObject({ subject: 'CN=localhost', issuer: 'CN=localhost', selfSigned: true });
      expect(err.certificate!.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      expect(Date.parse(err.certificate!.validTo)).toBeGreaterThan(Date.parse(err.certificate!.validFrom));
    });

    it('connects with the pinned fingerprint the failed test showed, over TLS and STARTTLS', async () => {
      const { certificate } = await stageOf(endpoint(), open);
      const pin = { fingerprintSha256: certificate!.fingerprintSha256 };
      for (const e of [endpoint({ tls: pin }), endpoint({ tls: pin, security: 'starttls', port: ctx.server.port })]) {
        const c = await connectImap(e, open);
        expect(c.capabilities).toContain('IMAP4REV1');
        expect(c.certificate?.fingerprintSha256).toBe(certificate!.fingerprintSha256);
        await c.client.logout();
      }
      const wrong = await stageOf(endpoint({ tls: { fingerprintSha256: 'AA'.repeat(32) } }), open);
      expect(wrong.stage).toBe('tls');
      expect(wrong.certificate?.reason).toBe('PIN_MISMATCH');
    });

    it('connects with the server certificate as its own CA', async () => {
      const c = await connectImap(endpoint({ tls: { caPem: ctx.server.certPem } }), open);
      expect(c.certificate?.reason).toBeNull();
      await c.client.logout();
    });

    it('logs in over cleartext to loopback and reports the capabilities of the profile', async () => {
      const c = await connectImap(endpoint({ security: 'none', port: ctx.server.port }), open);
      expect(c.capabilities).toContain('IDLE');
      expect(c.capabilities.includes('CONDSTORE')).toBe(profile === 'full');
      await c.client.logout();
    });

    it('names timeout when the server stalls after the greeting (proxy)', async () => {
      proxy.faults.stall();
      try {
        const err = await stageOf(endpoint({ host: proxy.host, port: proxy.port, security: 'none' }), { ...open, timeouts: { totalMs: 1500 } });
        expect(err.stage).toBe('timeout');
      } finally {
        proxy.faults.clear();
      }
    });

    // Last: Dovecot delays logins from an address after a failed one (auth penalty).
    it('names auth for a wrong password', async () => {
      const err = await stageOf(endpoint({ security: 'none', port: ctx.server.port, password: 'wrong' }), open);
      expect(err.stage).toBe('auth');
      expect(err.message).not.toContain('wrong');
    });
  });
}
