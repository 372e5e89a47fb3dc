/**
 * Bench of the built-in analyser: messages/s of analyseMessage beside Intl.Segmenter word-tokenising
 * the same texts (subject + body) in the same run, and the ratio (goal ≥ 0.25×).
 *
 *   npm run bench:analysis [-- --quick]
 *   taskset -c 0 npm run bench:analysis          # pinned to one core, as the figures in docs/analysis.md
 *
 * Sets: the hand-labelled messages plus the generated ones at natural size (seed 1), and the first
 * messages of the fixed corpus with its size mix (up to 4.8 MB; the analyser reads at most the first
 * 8,000 characters of a body, the tokeniser reads all of it, so that ratio is not like for like).
 */
import { analyseMessage } from '../../src/ai/builtin/analyser.js';
import type { AnalysisInput, UserSignals } from '../../src/ai/types.js';
import { CORPUS } from '../../test/support/mail/corpus.js';
import { createMailGenerator } from '../../test/support/mail/generator.js';
import { me } from '../../test/support/mail/text.js';
import { inputFromSource } from '../../test/support/analysis/generated-set.js';
import { loadHandLabelled, loadHoldout, loadSignals } from '../../test/support/analysis/labelled-set.js';

const quick = process.argv.includes('--quick');
const ROUND_MS = quick ? 250 : 1500;
const ROUNDS = quick ? 2 : 5;

async function generatedInputs(count: number, sizeMix: typeof CORPUS.sizeMix | null): Promise<AnalysisInput[]> {
  const gen = createMailGenerator({ seed: CORPUS.seed, sizeMix });
  const out: AnalysisInput[] = [];
  for (let i = 0; i < count; i++) {
    const m = gen.render(i);
    out.push(await inputFromSource(m.source, m.dateMs, [me[1]]));
  }
  return out;
}

/** Runs fn over all inputs repeatedly for about ROUND_MS; returns items per second. */
function rate<T>(items: readonly T[], fn: (item: T) => unknown): number {
  let n = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    for (const item of items) {
      if (fn(item)) sink++;
      n++;
    }
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  if (sink < 0) process.stdout.write(''); // keeps the work observable
  return (n / elapsed) * 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function compare(label: string, inputs: readonly AnalysisInput[], signals: UserSignals): void {
  const segmenter = new Intl.Segmenter('de', { granularity: 'word' });
  const texts = inputs.map((i) => `${i.subject}\n${i.text}`);
  const tokenise = (t: string) => {
    let words = 0;
    for (const s of segmenter.segment(t)) if (s.isWordLike) words++;
    return words;
  };
  const analyse = (i: AnalysisInput) => analyseMessage(i, signals).score;
  rate(inputs, analyse); // warm-up
  rate(texts, tokenise);
  const a: number[] = [];
  const t: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(rate(inputs, analyse));
    t.push(rate(texts, tokenise));
  }
  const chars = texts.reduce((n, s) => n + s.length, 0);
  const am = median(a);
  const tm = median(t);
  process.stdout.write(
    `${label}: ${inputs.length} messages, ${(chars / inputs.length / 1000).toFixed(1)} k chars on average\n` +
      `  analyseMessage          ${am.toFixed(0).padStart(8)} messages/s\n` +
      `  Intl.Segmenter (words)  ${tm.toFixed(0).padStart(8)} messages/s\n` +
      `  ratio                   ${(am / tm).toFixed(2)}×  (goal ≥ 0.25×)\n`,
  );
}

async function main(): Promise<void> {
  const signals = { ...loadSignals() };
  const hand = [...loadHandLabelled(), ...loadHoldout()].map((c) => c.input);
  const natural = [...hand, ...(await generatedInputs(quick ? 150 : 500, null))];
  process.stdout.write(`bench/analysis${quick ? ' (quick)' : ''}: Node ${process.version}, ${ROUNDS} rounds of ${ROUND_MS} ms, median\n`);
  compare('Natural sizes (hand-labelled + generated)', natural, signals);
  compare('Corpus size mix (first messages of the fixed corpus)', await generatedInputs(40, CORPUS.sizeMix), signals);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
