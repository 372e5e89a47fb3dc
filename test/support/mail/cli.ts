/**
 * gen-mail: `npm run gen-mail -- <command>` (compiled with tsc into .cache/gen-mail, then run by node,
 * because Node 20 cannot run TypeScript itself and the project adds no loader dependency).
 *
 *   maildir --out DIR [--seed N] [--count N] [--start N] [--size-mix corpus|none] [--manifest FILE]
 *   corpus --out DIR              the fixed corpus (seed 1, 10,000 messages, ≈ 0.5 GB) as a Maildir
 *   corpus-checksums              rewrite test/fixtures/corpus/{checksums.tsv,corpus.json}
 *   verify-corpus [--every N]     regenerate every Nth corpus message and compare with checksums.tsv
 */
import { generateMaildir } from './index.js';
import { CORPUS, corpusGenerator, readCorpusChecksums, writeCorpusChecksums } from './corpus.js';
import { writeMaildir, writeManifest } from './maildir.js';

function parseArgs(argv: string[]): { command: string; flags: Map<string, string> } {
  const [command = 'help', ...rest] = argv;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    flags.set(a.slice(2), rest[i + 1] ?? '');
    i++;
  }
  return { command, flags };
}

function num(flags: Map<string, string>, name: string, fallback: number): number {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
}

function main(): void {
  const { command, flags } = parseArgs(process.argv.slice(2));
  const out = flags.get('out');
  switch (command) {
    case 'maildir': {
      if (!out) throw new Error('--out DIR is required');
      const mix = flags.get('size-mix') ?? 'none';
      const manifest = generateMaildir(out, {
        seed: num(flags, 'seed', 1),
        count: num(flags, 'count', 100),
        start: num(flags, 'start', 0),
        sizeMix: mix === 'corpus' ? CORPUS.sizeMix : null,
        manifestPath: flags.get('manifest'),
      });
      process.stdout.write(`wrote ${manifest.messages.length} messages to ${out}\n`);
      return;
    }
    case 'corpus': {
      if (!out) throw new Error('--out DIR is required');
      const gen = corpusGenerator();
      const messages = writeMaildir(out, (function* () {
        for (let i = 0; i < CORPUS.count; i++) yield gen.render(i);
      })());
      writeManifest(`${out}/manifest.json`, { generator: { ...CORPUS }, messages });
      process.stdout.write(`wrote the corpus (${messages.length} messages) to ${out}\n`);
      return;
    }
    case 'corpus-checksums':
      writeCorpusChecksums(undefined, (l) => process.stdout.write(`${l}\n`));
      return;
    case 'verify-corpus': {
      const every = Math.max(1, num(flags, 'every', 1));
      const gen = corpusGenerator();
      let bad = 0;
      let checked = 0;
      for (const line of readCorpusChecksums()) {
        if (line.index % every !== 0) continue;
        const m = gen.render(line.index);
        checked++;
        if (m.sha256 !== line.sha256 || m.size !== line.size) {
          bad++;
          process.stdout.write(`mismatch at index ${line.index}\n`);
        }
      }
      process.stdout.write(`${checked} checked, ${bad} mismatched\n`);
      process.exitCode = bad ? 1 : 0;
      return;
    }
    default:
      process.stdout.write('usage: npm run gen-mail -- maildir|corpus|corpus-checksums|verify-corpus [options] (see test/support/mail/cli.ts)\n');
      process.exitCode = command === 'help' ? 0 : 2;
  }
}

main();
