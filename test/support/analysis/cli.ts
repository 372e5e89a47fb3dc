/**
 * `npm run eval` (compiled with tsc into .cache/eval, as gen-mail is): accuracy and macro-F1 of the
 * built-in analyser per axis on the hand-labelled set (per language and overall) and on the generated set.
 * `--misses` also lists every wrong axis by message id.
 */
import { evaluate, formatEvaluation } from './evaluate.js';
import { loadGenerated } from './generated-set.js';
import { FIXTURE_LANGUAGES, loadHandLabelled, loadHoldout, loadSignals } from './labelled-set.js';

async function main(): Promise<void> {
  const showMisses = process.argv.includes('--misses');
  const signals = loadSignals();
  const hand = loadHandLabelled();
  const all = evaluate(hand, signals);
  const holdout = loadHoldout();
  const held = evaluate(holdout, signals);
  process.stdout.write(`${formatEvaluation(`Held-out hand-labelled set (${holdout.length} messages, de/en/fr/it; never tuned on)`, held)}\n\n`);
  process.stdout.write(`${formatEvaluation(`Development hand-labelled set (${hand.length} messages, de/en/fr/it; rules tuned on it)`, all)}\n\n`);
  for (const lang of FIXTURE_LANGUAGES) {
    const cases = hand.filter((c) => c.id.startsWith(`${lang}-`));
    process.stdout.write(`${formatEvaluation(`  ${lang} (${cases.length})`, evaluate(cases, signals))}\n\n`);
  }
  const generated = await loadGenerated();
  const gen = evaluate(generated, { vipPatterns: [], ownDomains: ['mailhelper.test'], trustedSenders: [] });
  process.stdout.write(`${formatEvaluation(`Generated set (${generated.length} received messages, seed 1; labels from the generator kind)`, gen)}\n`);
  if (showMisses) {
    process.stdout.write('\nMisses:\n');
    for (const m of [...held.misses, ...all.misses, ...gen.misses]) process.stdout.write(`  ${m.id.padEnd(28)} ${m.axis.padEnd(10)} expected ${m.expected.padEnd(16)} got ${m.got}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
