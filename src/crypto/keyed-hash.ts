import { createHmac, hkdfSync } from 'node:crypto';
import { assertContext } from './envelope.js';

/** The purpose of the keyed content hash that identifies a message across copies and moves. */
export const CONTENT_HASH_PURPOSE = 'message.content.v1';

/**
 * A per-user, per-purpose HMAC key derived from the user's data key. Hashes of one purpose never
 * match hashes of another, nor another user's, and are useless without the data key.
 */
export function deriveHashKey(dataKey: Buffer, userId: string, purpose: string): Buffer {
  assertContext(purpose);
  return Buffer.from(hkdfSync('sha256', dataKey, Buffer.from(userId, 'utf8'), `mailhelper.keyed-hash\0${purpose}`, 32));
}

export type HashInput = string | Buffer | Iterable<string | Buffer>;

/** HMAC-SHA-256 of the value (strings as UTF-8). Normalising the value (lower-casing e-mail) is the caller's job. */
export function keyedHash(hashKey: Buffer, value: HashInput): Buffer {
  const hmac = createHmac('sha256', hashKey);
  if (typeof value === 'string' || Buffer.isBuffer(value)) hmac.update(value);
  else for (const part of value) hmac.update(part);
  return hmac.digest();
}
