import net from 'node:net';
import tls from 'node:tls';
import type { ImapTransport, ImapTransportSocket } from 'imapflow';
import { ImapConnectError, type CertificateInfo } from './errors.js';

/** How to trust a server certificate beyond the system CAs. */
export interface TrustOptions {
  /** Extra CA (company CA, or a self-signed server certificate) in PEM; replaces the system CAs for this account. */
  caPem?: string;
  /** Accept exactly this certificate (SHA-256, hex, colons optional), whatever its chain or name. */
  fingerprintSha256?: string;
}

/** What the transport saw, for error classification and for showing the certificate. */
export interface TransportProbe {
  socket: net.Socket | null;
  certificate: CertificateInfo | null;
}

export function normalizeFingerprint(value: string): string {
  return value.replace(/[^0-9a-f]/gi, '').toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

function formatName(name: Record<string, string | string[]> | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

export function describeCertificate(cert: tls.PeerCertificate, reason: string | null): CertificateInfo {
  const subject = formatName(cert.subject as unknown as Record<string, string>);
  const issuer = formatName(cert.issuer as unknown as Record<string, string>);
  return {
    subject,
    issuer,
    fingerprintSha256: normalizeFingerprint(cert.fingerprint256 ?? ''),
    validFrom: new Date(cert.valid_from).toISOString(),
    validTo: new Date(cert.valid_to).toISOString(),
    selfSigned: subject === issuer,
    reason,
  };
}

/**
 * A transport for imapflow that connects to the address the network guard checked (the name is
 * only used for SNI and the certificate check, never resolved again) and decides itself whether
 * the certificate is trusted, before imapflow sends a byte: a pinned fingerprint wins over the
 * chain, otherwise the chain and host name must verify (against `caPem` when given).
 */
export function createGuardedTransport(target: { address: string; servername: string | null; trust: TrustOptions }, probe: TransportProbe): ImapTransport {
  const pin = target.trust.fingerprintSha256 ? normalizeFingerprint(target.trust.fingerprintSha256) : null;
  const tlsOptions = (): tls.ConnectionOptions => ({
    host: target.address,
    ...(target.servername ? { servername: target.servername } : {}),
    ...(target.trust.caPem ? { ca: target.trust.caPem } : {}),
    // Verified by hand in verify(), so the certificate can be shown to the user when it fails.
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
  });

  const verify = (socket: tls.TLSSocket): ImapConnectError | null => {
    const cert = socket.getPeerCertificate();
    if (!cert || !cert.fingerprint256) return new ImapConnectError('tls', 'The server sent no certificate');
    if (pin) {
      const matches = normalizeFingerprint(cert.fingerprint256) === pin;
      probe.certificate = describeCertificate(cert, matches ? null : 'PIN_MISMATCH');
      return matches ? null : new ImapConnectError('tls', 'The server certificate does not match the pinned fingerprint', probe.certificate);
    }
    const reason = socket.authorized ? null : String(socket.authorizationError ?? 'UNTRUSTED');
    probe.certificate = describeCertificate(cert, reason);
    return reason ? new ImapConnectError('tls', `The server certificate is not trusted (${reason})`, probe.certificate) : null;
  };

  const secure = (socket: tls.TLSSocket, done: () => void) => {
    socket.once('secureConnect', () => {
      const failure = verify(socket);
      if (failure) socket.destroy(failure);
      else done();
    });
    return socket;
  };

  return {
    connect(options, onConnect): ImapTransportSocket {
      const socket = options.secure
        ? secure(tls.connect({ ...tlsOptions(), port: options.port }), onConnect)
        : net.connect({ host: target.address, port: options.port }, onConnect);
      probe.socket = socket;
      return socket as unknown as ImapTransportSocket;
    },
    upgrade(plain, _options, onSecure): ImapTransportSocket {
      const socket = secure(tls.connect({ ...tlsOptions(), socket: plain as unknown as net.Socket }), onSecure);
      return socket as unknown as ImapTransportSocket;
    },
  };
}
