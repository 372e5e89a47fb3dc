import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { AppError } from '../errors.js';

/**
 * Sealed value layout (all integers big-endian):
 *   magic 0xA7 0x5E | format 0x01 | data-key version u32 | nonce (12) | ciphertext | GCM tag (16)
 * The header is authenticated with the rest of the associated data, so changing the version fails too.
 */
export const SEALED_MAGIC = Buffer.from([0xa7, 0x5e]);
export const SEALED_FORMAT = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const SEALED_HEADER_BYTES = SEALED_MAGIC.length + 1 + 4 + NONCE_BYTES;
export const SEALED_OVERHEAD = SEALED_HEADER_BYTES + TAG_BYTES;

/** Wrapped data key: magic 0xA7 0x4B | format 0x01 | nonce (12) | wrapped key (32) | tag (16). */
const WRAPPED_MAGIC = Buffer.from([0xa7, 0x4b]);
const WRAPPED_FORMAT = 1;
export const DATA_KEY_BYTES = 32;
const WRAPPED_BYTES = WRAPPED_MAGIC.length + 1 + NONCE_BYTES + DATA_KEY_BYTES + TAG_BYTES;

/** A logical context names what a value is and the version of its layout, e.g. `message.subject.v1`. */
const CONTEXT_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.v[0-9]+$/;

export class DecryptError extends AppError {
  constructor(message = 'stored data could not be decrypted (wrong key, or the value belongs to another row, column or user)') {
    super('DECRYPT_FAILED', message, 500);
    this.name = 'DecryptError';
  }
}

export function assertContext(context: string): void {
  if (!CONTEXT_PATTERN.test(context)) {
    throw new AppError('CRYPTO_CONTEXT_INVALID', `encryption context "${context}" must look like "area.field.v1"`, 500);
  }
}

/** Length-prefixed fields, so ("ab","c") and ("a","bc") can never produce the same associated data. */
function encodeFields(fields: string[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    const bytes = Buffer.from(f, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    parts.push(len, bytes);
  }
  return Buffer.concat(parts);
}

export interface SealBinding {
  context: string;
  rowId: string;
  userId: string;
}

function sealedAad(header: Buffer, b: SealBinding): Buffer {
  return Buffer.concat([header, encodeFields(['mailhelper.sealed', b.context, b.rowId, b.userId])]);
}

/**
 * Nonces are taken from a buffer of CSPRNG output refilled as it runs out: a sync seals tens of
 * thousands of values, and one system call per 12 bytes cost more than the encryption of small ones.
 * Every nonce is fresh random bytes, used once.
 */
const nonces = Buffer.alloc(NONCE_BYTES * 512);
let nonceAt = nonces.length;

function nextNonce(into: Buffer, at: number): void {
  if (nonceAt + NONCE_BYTES > nonces.length) {
    randomFillSync(nonces);
    nonceAt = 0;
  }
  nonces.copy(into, at, nonceAt, nonceAt + NONCE_BYTES);
  nonces.fill(0, nonceAt, nonceAt + NONCE_BYTES);
  nonceAt += NONCE_BYTES;
}

export function sealWithKey(dataKey: Buffer, keyVersion: number, binding: SealBinding, plaintext: Buffer): Buffer {
  assertContext(binding.context);
  // Written once into the output: header, ciphertext, tag (GCM's final() adds no bytes).
  const out = Buffer.allocUnsafe(SEALED_OVERHEAD + plaintext.length);
  const header = out.subarray(0, SEALED_HEADER_BYTES);
  SEALED_MAGIC.copy(header, 0);
  header.writeUInt8(SEALED_FORMAT, 2);
  header.writeUInt32BE(keyVersion, 3);
  nextNonce(header, 7);
  const cipher = createCipheriv('aes-256-gcm', dataKey, header.subarray(7), { authTagLength: TAG_BYTES });
  cipher.setAAD(sealedAad(header, binding));
  let at = SEALED_HEADER_BYTES + cipher.update(plaintext).copy(out, SEALED_HEADER_BYTES);
  at += cipher.final().copy(out, at);
  if (at !== out.length - TAG_BYTES) throw new Error('AES-GCM output length mismatch');
  cipher.getAuthTag().copy(out, at);
  return out;
}

/** True when the value has the sealed header; says nothing about whether it opens. */
export function isSealed(value: unknown): value is Buffer {
  return (
    Buffer.isBuffer(value) &&
    value.length >= SEALED_OVERHEAD &&
    value[0] === SEALED_MAGIC[0] &&
    value[1] === SEALED_MAGIC[1] &&
    value[2] === SEALED_FORMAT
  );
}

/** The data-key version a sealed value needs, read from its header. */
export function sealedKeyVersion(sealed: Buffer): number {
  if (!isSealed(sealed)) throw new DecryptError('stored value is not in the encrypted format');
  return sealed.readUInt32BE(3);
}

export function openWithKey(dataKey: Buffer, binding: SealBinding, sealed: Buffer): Buffer {
  assertContext(binding.context);
  if (!isSealed(sealed)) throw new DecryptError('stored value is not in the encrypted format');
  const header = sealed.subarray(0, SEALED_HEADER_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(SEALED_HEADER_BYTES, sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, header.subarray(7), { authTagLength: TAG_BYTES });
    decipher.setAAD(sealedAad(header, binding));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new DecryptError();
  }
}

/** What a wrapped key is bound to: a user's data key of one version, or the instance canary. */
export type WrapSubject = { userId: string; version: number } | 'canary';

function wrapAad(masterKeyId: string, subject: WrapSubject): Buffer {
  const who = subject === 'canary' ? ['canary'] : ['user', subject.userId, String(subject.version)];
  return encodeFields(['mailhelper.wrapped-key', masterKeyId, ...who]);
}

export function wrapDataKey(masterKey: Buffer, masterKeyId: string, dataKey: Buffer, subject: WrapSubject): Buffer {
  if (dataKey.length !== DATA_KEY_BYTES) throw new Error('data key must be 32 bytes');
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(wrapAad(masterKeyId, subject));
  const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([WRAPPED_MAGIC, Buffer.from([WRAPPED_FORMAT]), nonce, body, cipher.getAuthTag()]);
}

export function unwrapDataKey(masterKey: Buffer, masterKeyId: string, wrapped: Buffer, subject: WrapSubject): Buffer {
  if (wrapped.length !== WRAPPED_BYTES || !wrapped.subarray(0, 2).equals(WRAPPED_MAGIC) || wrapped[2] !== WRAPPED_FORMAT) {
    throw new DecryptError('wrapped data key is not in the expected format');
  }
  const nonce = wrapped.subarray(3, 3 + NONCE_BYTES);
  const body = wrapped.subarray(3 + NONCE_BYTES, 3 + NONCE_BYTES + DATA_KEY_BYTES);
  const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(wrapAad(masterKeyId, subject));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new DecryptError(`data key does not unwrap with master key "${masterKeyId}"`);
  }
}

export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}
