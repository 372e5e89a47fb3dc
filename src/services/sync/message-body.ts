import { promisify } from 'node:util';
import { deflateRaw } from 'node:zlib';
import type { UserCipher } from '../../crypto/crypto.js';
import { COMPRESS_MIN_BYTES, decodeBody, DEFLATE_OPTIONS, framedBody } from '../../mail/mime/body-codec.js';

export { COMPRESS_MIN_BYTES, COMPRESSED_BODY_MARKER, decodeBody } from '../../mail/mime/body-codec.js';

const deflateRawAsync = promisify(deflateRaw);

/**
 * The plaintext to seal for a body (see body-codec): compressed when that saves at least an eighth.
 * Runs zlib on the thread pool, off the event loop. The parse pool's workers compress on their own
 * thread instead (`ParseOptions.encodeBodies`).
 */
export async function encodeBody(text: string | null): Promise<Buffer | null> {
  if (text === null || text === '') return null;
  const utf8 = Buffer.from(text, 'utf8');
  return framedBody(utf8, utf8.length < COMPRESS_MIN_BYTES ? null : await deflateRawAsync(utf8, DEFLATE_OPTIONS));
}

/** Opens a sealed text or HTML body, compressed or not. */
export function openBody(cipher: UserCipher, context: string, rowId: string, sealed: Buffer): string {
  return decodeBody(cipher.openBytes(context, rowId, sealed));
}
