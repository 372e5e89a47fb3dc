import { sealChunked, type Sealer } from '../../crypto/sealer.js';
import type { ParsedMessage } from './parse.js';

/** What sealing a parsed message needs besides the keys: its row id, chunk size and the sealing contexts. */
export interface SealTarget {
  rowId: string;
  chunkBytes: number;
  contexts: { source: string; text: string; html: string };
}

/** A message's source and bodies as they are stored: sealed, with the keyed content hash of the source. */
export interface SealedParts {
  /** The source in chunks; every attachment given as a source range is a run of its own. */
  sourceChunks: Buffer[];
  /** Per attachment given as a source range, in attachment order: its first chunk and chunk count. */
  runs: Array<{ seq: number; count: number }>;
  contentHash: Buffer;
  text: Buffer | null;
  html: Buffer | null;
}

/**
 * Seals a parsed message's source and its encoded bodies (body-codec), and hashes the source. Runs
 * where the message was parsed: on a parse worker, so the main thread never touches the source again,
 * or in-process.
 */
export function sealParsed(sealer: Sealer, raw: Buffer, parsed: ParsedMessage, bodies: { text: Buffer | null; html: Buffer | null }, target: SealTarget): SealedParts {
  const ranges = parsed.attachments.flatMap((a) => (a.source ? [a.source] : []));
  const { chunks, runs } = sealChunked(sealer, target.contexts.source, target.rowId, raw, target.chunkBytes, ranges);
  return {
    sourceChunks: chunks,
    runs,
    contentHash: sealer.contentHash(raw),
    text: bodies.text && sealer.sealBytes(target.contexts.text, target.rowId, bodies.text),
    html: bodies.html && sealer.sealBytes(target.contexts.html, target.rowId, bodies.html),
  };
}
