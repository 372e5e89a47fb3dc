import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMailGenerator, type GeneratedMessage, type SizeMix } from './generator.js';

/**
 * The fixed corpus benches and evals run on. Its messages are not committed (≈ 500 MB); the seed,
 * these parameters and a SHA-256 per message are, so anyone can regenerate and verify it.
 */
export const CORPUS = {
  seed: 1,
  count: 10_000,
  sizeMix: { small: 0.85, medium: 0.13, large: 0.02 } satisfies SizeMix,
} as const;

/** test/fixtures/corpus, found relative to this file (works from the compiled CLI in .cache too). */
export function corpusDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('project root not found');
    dir = up;
  }
  return path.join(dir, 'test', 'fixtures', 'corpus');
}

export interface ChecksumLine {
  index: number;
  size: number;
  sha256: string;
  kind: string;
}

export function formatChecksumLine(m: Pick<GeneratedMessage, 'index' | 'size' | 'sha256' | 'kind'>): string {
  return `${m.index}\t${m.size}\t${m.sha256}\t${m.kind}`;
}

export function readCorpusChecksums(file = path.join(corpusDir(), 'checksums.tsv')): ChecksumLine[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [index, size, sha256, kind] = l.split('\t');
      return { index: Number(index), size: Number(size), sha256: sha256!, kind: kind! };
    });
}

export function corpusGenerator() {
  return createMailGenerator({ seed: CORPUS.seed, sizeMix: CORPUS.sizeMix });
}

/** Renders the whole corpus in memory and writes checksums.tsv and corpus.json (summary figures). */
export function writeCorpusChecksums(dir = corpusDir(), log: (line: string) => void = () => {}): void {
  const gen = corpusGenerator();
  const lines: string[] = [];
  const classes: Record<string, { count: number; bytes: number }> = {};
  const kinds: Record<string, number> = {};
  const all = createHash('sha256');
  let bytes = 0;
  for (let i = 0; i < CORPUS.count; i++) {
    const m = gen.render(i);
    const line = formatChecksumLine(m);
    lines.push(line);
    all.update(`${line}\n`);
    bytes += m.size;
    const c = (classes[m.sizeClass] ??= { count: 0, bytes: 0 });
    c.count++;
    c.bytes += m.size;
    kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
    if (i % 1000 === 999) log(`${i + 1} messages, ${(bytes / 1e6).toFixed(1)} MB`);
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'checksums.tsv'),
    `# index\tsize\tsha256\tkind — corpus seed ${CORPUS.seed}, regenerate with: npm run gen-mail -- corpus-checksums\n${lines.join('\n')}\n`,
  );
  const summary = { ...CORPUS, totalBytes: bytes, sizeClasses: classes, kinds, checksumsSha256: all.digest('hex') };
  fs.writeFileSync(path.join(dir, 'corpus.json'), `${JSON.stringify(summary, null, 2)}\n`);
}
