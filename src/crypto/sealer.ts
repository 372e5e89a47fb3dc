import { sealWithKey } from './envelope.js';
import { keyedHash, type HashInput } from './keyed-hash.js';

/**
 * The write-only half of a user's cipher: seal under the active data key and compute the keyed
 * content hash. Parse workers get it to seal and hash a message where they parse it, so the sources
 * never come back to the main thread. It imports nothing that reads the database.
 */
export interface Sealer {
  sealBytes(context: string, rowId: string, plaintext: Buffer): Buffer;
  contentHash(content: HashInput): Buffer;
}

/**
 * Key material for a Sealer in another thread of this process: the active data key and the derived
 * content-hash key, nothing that opens older versions. Pass it only by postMessage to this process's
 * own workers; never log, store or send it anywhere.
 */
export interface SealingKeys {
  userId: string;
  version: number;
  dataKey: Uint8Array;
  contentHashKey: Uint8Array;
}

export function sealerFromKeys(keys: SealingKeys): Sealer {
  const dataKey = Buffer.from(keys.dataKey);
  const hashKey = Buffer.from(keys.contentHashKey);
  return {
    sealBytes: (context, rowId, plaintext) => sealWithKey(dataKey, keys.version, { context, rowId, userId: keys.userId }, plaintext),
    contentHash: (content) => keyedHash(hashKey, content),
  };
}

/**
 * Seals bytes in chunks of at most `chunkBytes`, starting a new chunk at each range's start and
 * end, so every range (an attachment's encoded body in a message source) is a run of its own.
 * Chunk n is bound to `${rowId}:${n}`. Returns the chunks and, per range, its first chunk and count.
 */
export function sealChunked(
  sealer: Pick<Sealer, 'sealBytes'>,
  context: string,
  rowId: string,
  bytes: Buffer,
  chunkBytes: number,
  ranges: ReadonlyArray<{ start: number; end: number }> = [],
): { chunks: Buffer[]; runs: Array<{ seq: number; count: number }> } {
  const chunks: Buffer[] = [];
  const push = (start: number, end: number) => {
    for (let at = start; at < end; at += chunkBytes) chunks.push(sealer.sealBytes(context, `${rowId}:${chunks.length}`, bytes.subarray(at, Math.min(end, at + chunkBytes))));
  };
  const order = ranges.map((r, i) => ({ ...r, i })).sort((a, b) => a.start - b.start);
  const runs = ranges.map(() => ({ seq: 0, count: 0 }));
  let pos = 0;
  for (const r of order) {
    if (r.start < pos) throw new Error('overlapping ranges');
    push(pos, r.start);
    runs[r.i] = { seq: chunks.length, count: 0 };
    push(r.start, r.end);
    runs[r.i]!.count = chunks.length - runs[r.i]!.seq;
    pos = r.end;
  }
  push(pos, bytes.length);
  if (chunks.length === 0) chunks.push(sealer.sealBytes(context, `${rowId}:0`, bytes));
  return { chunks, runs };
}
