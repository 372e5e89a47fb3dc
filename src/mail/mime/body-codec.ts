import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * How text and HTML bodies are stored (docs/storage.md, "Compressed bodies"): either the UTF-8
 * text itself (rows written before, and short bodies) or the marker byte 0xFF followed by the
 * raw-deflated UTF-8. UTF-8 never contains 0xFF, so the first byte tells the two apart.
 */
export const COMPRESSED_BODY_MARKER = 0xff;
/** Shorter bodies are kept as they are: deflating them saves a few bytes for a zlib call. */
export const COMPRESS_MIN_BYTES = 512;
// Level 1: bodies are mostly text, which level 1 already shrinks to a third; higher levels cost more CPU than they save in writes.
export const DEFLATE_OPTIONS = { level: 1, memLevel: 8, strategy: constants.Z_DEFAULT_STRATEGY } as const;

/** The stored form of UTF-8 bytes, given their deflated form (or null when not worth compressing). */
export function framedBody(utf8: Buffer, packed: Buffer | null): Buffer {
  if (packed === null || packed.length + 1 > utf8.length - (utf8.length >> 3)) return utf8;
  const out = Buffer.allocUnsafe(packed.length + 1);
  out[0] = COMPRESSED_BODY_MARKER;
  packed.copy(out, 1);
  return out;
}

/** The stored form of a body, compressed on this thread (for worker threads); null for no body. */
export function encodeBodySync(text: string | null): Buffer | null {
  if (text === null || text === '') return null;
  const utf8 = Buffer.from(text, 'utf8');
  return framedBody(utf8, utf8.length < COMPRESS_MIN_BYTES ? null : deflateRawSync(utf8, DEFLATE_OPTIONS));
}

export function decodeBody(plain: Buffer): string {
  if (plain.length > 0 && plain[0] === COMPRESSED_BODY_MARKER) return inflateRawSync(plain.subarray(1)).toString('utf8');
  return plain.toString('utf8');
}
