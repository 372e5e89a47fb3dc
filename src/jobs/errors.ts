import { AppError } from '../errors.js';

/**
 * A failure worth retrying (network, timeouts, a busy server). Everything else is permanent unless
 * marked: retrying bad input or failed authentication only hammers the server.
 * The message is stored in job history, so it must name the problem without secrets or mail content.
 */
export class TransientError extends Error {
  readonly transient = true;
  /** Multiplies the job type's retry delay: a server that asked us to slow down waits longer than a dropped connection. */
  readonly backoffFactor: number;
  constructor(
    readonly code: string,
    message: string,
    options: { backoffFactor?: number } = {},
  ) {
    super(message);
    this.name = 'TransientError';
    this.backoffFactor = Math.max(1, options.backoffFactor ?? 1);
  }
}

export class PermanentError extends Error {
  readonly transient = false;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

/** The fencing token no longer matches: another worker owns the key now, so this one must not write. */
export class LeaseLostError extends TransientError {
  constructor(key: string) {
    super('LEASE_LOST', `the lease on ${key} was taken over by another worker`);
    this.name = 'LeaseLostError';
  }
}

export class JobTypeUnknownError extends AppError {
  constructor(type: string) {
    super('JOB_TYPE_UNKNOWN', `No job type "${type}" is registered`, 400, { type });
  }
}

export class JobPayloadInvalidError extends AppError {
  constructor(type: string, issues: { path: string; message: string }[]) {
    super('JOB_PAYLOAD_INVALID', `The payload for job type "${type}" is invalid`, 400, { type, issues });
  }
}

export class JobNotFoundError extends AppError {
  constructor() {
    super('JOB_NOT_FOUND', 'Job not found', 404);
  }
}

export class JobStateConflictError extends AppError {
  constructor(message: string, state: string) {
    super('JOB_STATE_CONFLICT', message, 409, { state });
  }
}

const networkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ESOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

export interface ClassifiedError {
  transient: boolean;
  code: string;
  message: string;
  /** Scales the retry delay (1 unless the error asks for a longer back-off). */
  backoffFactor?: number;
}

const MAX_MESSAGE = 500;

/**
 * Decides retry or not and what history records. Messages of errors we did not raise ourselves are
 * not stored (they may quote server replies or content); their name is, and the log has the rest.
 */
export function classifyError(err: unknown): ClassifiedError {
  if (err instanceof TransientError) return { transient: true, code: err.code, message: err.message.slice(0, MAX_MESSAGE), backoffFactor: err.backoffFactor };
  if (err instanceof PermanentError) return { transient: false, code: err.code, message: err.message.slice(0, MAX_MESSAGE) };
  const e = err as { code?: unknown; name?: unknown; transient?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : null;
  if (code && networkCodes.has(code)) return { transient: true, code: 'NETWORK', message: `network error (${code})` };
  if (e?.name === 'TimeoutError') return { transient: true, code: 'TIMEOUT', message: 'the operation timed out' };
  if (err instanceof AppError) return { transient: false, code: err.code, message: err.message.slice(0, MAX_MESSAGE) };
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  return { transient: e?.transient === true, code: 'UNEXPECTED', message: `unexpected ${name}` };
}
