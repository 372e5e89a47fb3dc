import net from 'node:net';
import { ImapFlow } from 'imapflow';
import { ImapConnectError, type CertificateInfo } from './errors.js';
import { resolveMailHost, type Lookup } from './network-guard.js';
import { createGuardedTransport, type TransportProbe, type TrustOptions } from './transport.js';

export type Security = 'tls' | 'starttls' | 'none';

/** One IMAP server login, as stored (sealed) in an account's settings. */
export interface ImapEndpoint {
  host: string;
  port: number;
  security: Security;
  user: string;
  password: string;
  tls?: TrustOptions;
}

/** Where connections may go: from the configuration, never from the request. */
export interface ConnectPolicy {
  /** ALLOW_PRIVATE_MAIL_HOSTS: private, loopback and link-local addresses allowed (test beds, LAN servers). */
  allowPrivate: boolean;
  /** Host names (lower case) where cleartext `security: none` is allowed besides loopback addresses. */
  insecureHosts: string[];
}

export interface ConnectTimeouts {
  /** TCP (and implicit TLS) connect. */
  connectMs: number;
  greetingMs: number;
  /** Inactivity on an open connection. */
  socketMs: number;
  /** The whole attempt up to a logged-in session; the connection test promises an answer within 15 s. */
  totalMs: number;
}

export const defaultTimeouts: ConnectTimeouts = { connectMs: 10_000, greetingMs: 8_000, socketMs: 120_000, totalMs: 14_000 };

export interface ConnectOptions {
  policy: ConnectPolicy;
  timeouts?: Partial<ConnectTimeouts>;
  signal?: AbortSignal;
  /** Replaces system DNS (tests). */
  lookup?: Lookup;
}

export interface ImapConnection {
  client: ImapFlow;
  /** Upper-case capability names the server announced after login. */
  capabilities: string[];
  /** The server certificate, when the connection uses TLS. */
  certificate: CertificateInfo | null;
}

const closeReasons = new WeakMap<object, string>();

/** Why a client's connection ended (imapflow's error code, e.g. `ETIMEOUT` when the server went silent); null while it is fine. */
export function connectionEndReason(client: object): string | null {
  return closeReasons.get(client) ?? null;
}

/**
 * Opens a logged-in imapflow client after the network guard, or throws an ImapConnectError naming
 * the stage that failed. Auto-IDLE is off: connections are pooled and used by explicit commands.
 */
export async function connectImap(endpoint: ImapEndpoint, options: ConnectOptions): Promise<ImapConnection> {
  const timeouts = { ...defaultTimeouts, ...options.timeouts };
  const signal = options.signal;
  if (signal?.aborted) throw new ImapConnectError('aborted', 'The connection attempt was cancelled');

  const resolved = await withDeadline(resolveMailHost(endpoint.host, { allowPrivate: options.policy.allowPrivate }, options.lookup), timeouts.totalMs, signal);
  if (endpoint.security === 'none' && resolved.kind !== 'loopback' && !options.policy.insecureHosts.includes(resolved.host.toLowerCase())) {
    throw new ImapConnectError(
      'insecure',
      'Unencrypted IMAP (security "none") is only allowed to this computer (loopback) or to hosts an administrator lists in ALLOW_INSECURE_MAIL_HOSTS; choose TLS or STARTTLS',
    );
  }

  const probe: TransportProbe = { socket: null, certificate: null };
  const client = new ImapFlow({
    host: resolved.address,
    port: endpoint.port,
    secure: endpoint.security === 'tls',
    // STARTTLS must happen when asked for: no silent fallback to cleartext when the offer is stripped.
    doSTARTTLS: endpoint.security === 'starttls' ? true : endpoint.security === 'none' ? false : undefined,
    ...(net.isIP(resolved.host) ? {} : { servername: resolved.host }),
    auth: { user: endpoint.user, pass: endpoint.password },
    transport: createGuardedTransport({ address: resolved.address, servername: net.isIP(resolved.host) ? null : resolved.host, trust: endpoint.tls ?? {} }, probe),
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: timeouts.connectMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    clientInfo: { name: 'KI-Mail-Helper' },
  });
  // imapflow reports socket trouble as 'error' events too; an unhandled one would end the process.
  // The first one is kept: commands in flight only learn "no connection", not why (a timeout).
  client.on('error', (err: { code?: unknown }) => {
    if (!closeReasons.has(client) && typeof err?.code === 'string') closeReasons.set(client, err.code);
  });

  let stoppedBy: 'deadline' | 'signal' | null = null;
  const stop = (why: 'deadline' | 'signal') => {
    stoppedBy ??= why;
    client.close();
  };
  const timer = setTimeout(() => stop('deadline'), timeouts.totalMs);
  const onAbort = () => stop('signal');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
  } catch (err) {
    client.close();
    throw classify(err, { stoppedBy, probe, greeted: Boolean(client.greeting) || client.capabilities.size > 0 });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }

  const capabilities = [...client.capabilities.keys()].map((c) => c.toUpperCase());
  if (!capabilities.includes('IMAP4REV1') && !capabilities.includes('IMAP4REV2')) {
    client.close();
    throw new ImapConnectError('not_imap', 'The server is not an IMAP4rev1 server');
  }
  return { client, capabilities, certificate: probe.certificate };
}

function withDeadline<T>(work: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ImapConnectError('timeout', 'The mail server name took too long to resolve (DNS)')), ms);
    const onAbort = () => reject(new ImapConnectError('aborted', 'The connection attempt was cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}

const tlsCodes = /^(ERR_SSL|ERR_TLS|EPROTO|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/;

/** Maps what imapflow and Node throw onto a stage with our own message. */
function classify(err: unknown, ctx: { stoppedBy: 'deadline' | 'signal' | null; probe: TransportProbe; greeted: boolean }): ImapConnectError {
  if (err instanceof ImapConnectError) return err;
  const e = (err ?? {}) as { code?: string; authenticationFailed?: boolean; tlsFailed?: boolean; message?: string };
  const bytesIn = ctx.probe.socket?.bytesRead ?? 0;
  if (ctx.stoppedBy === 'signal') return new ImapConnectError('aborted', 'The connection attempt was cancelled');
  if (ctx.stoppedBy === 'deadline') {
    return new ImapConnectError('timeout', ctx.greeted ? 'The server stopped answering during login (timeout)' : 'The server did not answer in time (timeout)');
  }
  if (e.authenticationFailed) return new ImapConnectError('auth', 'The server refused the user name or password');
  const code = e.code ?? '';
  if (code === 'ECONNREFUSED') return new ImapConnectError('refused', 'The server refused the connection (nothing listens on that port)');
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new ImapConnectError('refused', 'The server cannot be reached from here (no route)');
  if (code === 'GREETING_TIMEOUT') {
    return bytesIn > 0
      ? new ImapConnectError('not_imap', 'The server answered, but not with an IMAP greeting (wrong port?)')
      : new ImapConnectError('timeout', 'Connected, but the server sent no greeting in time (wrong port or security setting?)');
  }
  if (['CONNECT_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT', 'ETIMEDOUT'].includes(code)) return new ImapConnectError('timeout', 'The server did not answer in time (timeout)');
  if (e.tlsFailed || tlsCodes.test(code)) {
    const starttls = /STARTTLS/i.test(e.message ?? '');
    return new ImapConnectError(
      'tls',
      starttls ? 'The server does not offer STARTTLS' : 'The TLS handshake failed (wrong port for this security setting, or an outdated server)',
      ctx.probe.certificate,
    );
  }
  if (!ctx.greeted && bytesIn > 0) return new ImapConnectError('not_imap', 'The server answered, but not with an IMAP greeting (wrong port?)');
  if (code === 'ParserError' || code === 'InvalidResponse' || code === 'UnexpectedTag') {
    return new ImapConnectError('not_imap', 'The server does not speak IMAP');
  }
  return new ImapConnectError('network', 'The connection to the server failed');
}
