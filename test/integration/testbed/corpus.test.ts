import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusDir, corpusGenerator, readCorpusChecksums } from '../../support/mail/corpus.js';
import { MESSAGE_KINDS } from '../../support/mail/index.js';

const lines = readCorpusChecksums();

describe('fixed corpus (seed 1, 10,000 messages)', () => {
  it('has one committed checksum per message, and corpus.json summarises that very list', () => {
    expect(lines.map((l) => l.index)).toEqual(Array.from({ length: CORPUS.count }, (_, i) => i));
    const summary = JSON.parse(fs.readFileSync(path.join(corpusDir(), 'corpus.json'), 'utf8'));
    const digest = createHash('sha256');
    for (const l of lines) digest.update(`${l.index}\t${l.size}\t${l.sha256}\t${l.kind}\n`);
    expect(summary.checksumsSha256).toBe(digest.digest('hex'));
    expect(summary.totalBytes).toBe(lines.reduce((s, l) => s + l.size, 0));
    expect(new Set(lines.map((l) => l.kind))).toEqual(new Set(MESSAGE_KINDS));
  });

  it('keeps the documented size mix: ~85% under 20 KB, ~13% 20–500 KB, ~2% 1–5 MB', () => {
    const share = (lo: number, hi: number) => lines.filter((l) => l.size >= lo && l.size < hi).length / lines.length;
    expect(share(0, 20_000)).toBeCloseTo(0.85, 1);
    expect(share(20_000, 500_000)).toBeCloseTo(0.13, 1);
    expect(share(1_000_000, 5_000_000)).toBeCloseTo(0.02, 1);
    expect(share(0, 20_000) + share(20_000, 500_000) + share(1_000_000, 5_000_000)).toBe(1);
  });

  it('regenerates a sample byte for byte (a changed generator must regenerate the checksums)', () => {
    const gen = corpusGenerator();
    // Every 97th message plus one of each size class, so large messages are covered too.
    const picks = new Set(lines.filter((l) => l.index % 97 === 0).map((l) => l.index));
    for (const lo of [500_000, 1_000_000]) picks.add(lines.find((l) => l.size >= lo)!.index);
    for (const i of picks) {
      const m = gen.render(i);
      const want = lines[i]!;
      expect({ i, sha256: m.sha256, size: m.size, kind: m.kind }, 'run `npm run gen-mail -- corpus-checksums` after an intended generator change').toEqual({
        i, sha256: want.sha256, size: want.size, kind: want.kind,
      });
    }
  });
});
