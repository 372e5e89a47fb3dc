import { AppError } from '../../errors.js';

/**
 * Where a connection attempt failed, in the order a connection is built. The HTTP test answers
 * with this stage so a user knows what to fix (host name, port, certificate, password …).
 */
export type ConnectStage =
  | 'dns'
  | 'blocked'
  | 'insecure'
  | 'refused'
  | 'timeout'
  | 'tls'
  | 'auth'
  | 'not_imap'
  | 'network'
  | 'aborted';

/** What the user needs to decide whether to trust a certificate: never secret, shown as is. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** SHA-256 of the DER certificate, upper-case hex pairs joined by ":" (as openssl prints it). */
  fingerprintSha256: string;
  validFrom: string;
  validTo: string;
  selfSigned: boolean;
  /** Why it was not trusted (e.g. DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, PIN_MISMATCH). */
  reason: string | null;
}

/**
 * A failed connection with its stage. The message is always our own text: server replies can echo
 * user names or carry arbitrary content, so they never reach the API or the logs.
 */
export class ImapConnectError extends AppError {
  constructor(
    readonly stage: ConnectStage,
    message: string,
    readonly certificate: CertificateInfo | null = null,
  ) {
    super(`IMAP_${stage.toUpperCase()}`, message, stage === 'aborted' ? 499 : 422, certificate ? { stage, certificate } : { stage });
    this.name = 'ImapConnectError';
  }

  /** Transient stages are worth a retry by the sync; the others need the user to change something. */
  get transient(): boolean {
    return this.stage === 'timeout' || this.stage === 'refused' || this.stage === 'network' || this.stage === 'dns';
  }
}
