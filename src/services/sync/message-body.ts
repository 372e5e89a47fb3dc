import { promisify } from 'node:util';
import { constants, deflateRaw, inflateRawSync } from 'node:zlib';
import type { UserCipher } from '../../crypto/crypto.js';

/**
 * Text and HTML bodies are sealed compressed (docs/storage.md, "Compressed bodies"). The sealed
 * plaintext is either the UTF-8 text itself (rows written before, and short bodies) or the marker
 * byte 0xFF followed by the raw-deflated UTF-8. UTF-8 never contains 0xFF, so the first byte tells
 * the two apart and old rows open unchanged.
 */
export const COMPRESSED_BODY_MARKER = 0xff;
/** Shorter bodies are sealed as they are: deflating them saves a few bytes for a zlib call. */
export const COMPRESS_MIN_BYTES = 512;

const deflateRawAsync = promisify(deflateRaw);
// Level 1: bodies are mostly text, which level 1 already shrinks to a third; higher levels cost more CPU than they save in writes.
const DEFLATE_OPTIONS = { level: 1, memLevel: 8, strategy: constants.Z_DEFAULT_STRATEGY } as const;

/**
 * The plaintext to seal for a body: compressed when that saves at least an eighth. Runs zlib on the
 * thread pool, so a batch's bodies compress off the event loop and in parallel.
 */
export async function encodeBody(text: string | null): Promise<Buffer | null> {
  if (text === null || text === '') return null;
  const utf8 = Buffer.from(text, 'utf8');
  if (utf8.length < COMPRESS_MIN_BYTES) return utf8;
  const packed = await deflateRawAsync(utf8, DEFLATE_OPTIONS);
  if (packed.length + 1 > utf8.length - (utf8.length >> 3)) return utf8;
  const out = Buffer.allocUnsafe(packed.length + 1);
  out[0] = COMPRESSED_BODY_MARKER;
  packed.copy(out, 1);
  return out;
}

export function decodeBody(plain: Buffer): string {
  if (plain.length > 0 && plain[0] === COMPRESSED_BODY_MARKER) return inflateRawSync(plain.subarray(1)).toString('utf8');
  return plain.toString('utf8');
}

/** Seals an encoded body (from `encodeBody`); null stays null. */
export function sealBody(cipher: UserCipher, context: string, rowId: string, encoded: Buffer | null): Buffer | null {
  return encoded === null ? null : cipher.sealBytes(context, rowId, encoded);
}

/** Opens a sealed text or HTML body, compressed or not. */
export function openBody(cipher: UserCipher, context: string, rowId: string, sealed: Buffer): string {
  return decodeBody(cipher.openBytes(context, rowId, sealed));
}
