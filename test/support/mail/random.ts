import { createHash } from 'node:crypto';

/**
 * Seeded PRNG (sfc32) so a seed and an index always give the same mail. Math.random is never used:
 * the corpus checksums depend on every byte being reproducible.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T;
  /** Fills a buffer with pseudo-random bytes (fast: 4 bytes per step). */
  bytes(n: number): Buffer;
  hex(n: number): string;
  /** A child stream that does not disturb this one's sequence. */
  fork(label: string): Rng;
}

export function createRng(...seedParts: Array<string | number>): Rng {
  const h = createHash('sha256').update(seedParts.join('\u0000')).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  const step = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return r >>> 0;
  };
  for (let i = 0; i < 12; i++) step();
  const rng: Rng = {
    next: () => step() / 4294967296,
    int: (min, max) => min + Math.floor((step() / 4294967296) * (max - min + 1)),
    chance: (p) => step() / 4294967296 < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from empty list');
      return items[Math.floor((step() / 4294967296) * items.length)] as (typeof items)[number];
    },
    weighted: (entries) => {
      const total = entries.reduce((s, [, w]) => s + w, 0);
      let x = (step() / 4294967296) * total;
      for (const [v, w] of entries) {
        if (x < w) return v;
        x -= w;
      }
      return entries[entries.length - 1]![0];
    },
    bytes: (n) => {
      const buf = Buffer.allocUnsafe(Math.ceil(n / 4) * 4);
      for (let i = 0; i < buf.length; i += 4) buf.writeUInt32LE(step(), i);
      return buf.subarray(0, n);
    },
    hex: (n) => rng.bytes(Math.ceil(n / 2)).toString('hex').slice(0, n),
    fork: (label) => createRng(a, b, c, d, label),
  };
  return rng;
}
