import type { AnalysisLanguage } from '../types.js';

type Known = Exclude<AnalysisLanguage, 'other'>;

/**
 * Frequent function words that are (nearly) unique to one of the four languages. Words shared by
 * two of them (`il`, `si`, `un` count half for each) (`die`, `a`, `la`, `in`, `per`, `de`…) are left out on purpose: they blur the vote.
 */
const STOPWORDS: Record<Known, string> = {
  de:
    'der das und ist nicht mit sich auf für dem den des ein eine einen einem einer wir ich du sie es auch noch nach bei ' +
    'aus wie über oder aber wenn wird werden haben hat habe hast sind war bitte danke können kann kannst könntest zum zur vom ' +
    'ihr ihre ihnen uns unser dass diese dieser dieses sehr gerne heute morgen grüße grüsse freundlichen bis schon nur ' +
    'mehr hier wurde dann mir dir mich dich euch sein noch',
  en:
    'the and is are was were to of for with on at by from this that these those you your we our us be been have has ' +
    'will would could should can please thanks thank regards it its not or but if as an about which there their ' +
    'they them what when who how all any some just also let know my here i do does did get got send hi hello dear',
  fr:
    'le les et est sont des du un une pour dans avec sur pas vous nous votre vos notre nos ce cette ces qui que ' +
    'au aux il elle ils elles je être avoir été fait merci bonjour cordialement salutations mais ou où donc ' +
    'très bien aussi leur leurs sera si ne plus comme demain aujourd pourriez pouvez peux faire encore toujours rien chez',
  it:
    'il lo gli della delle dello degli dei del che è sono non con su un una uno per nel nella alla alle al ' +
    'ai questo questa questi sua suo vostro vostra nostro nostra ci mi ti si anche ma come più grazie buongiorno ' +
    'saluti cordiali essere stato stata ha hanno abbiamo sarà ogni ciao entro ancora sempre tutto tutti quando perché ' +
    'oggi domani può puoi potresti potrebbe vorrei spero bene ecco sul tra fra cosa mio mia tuo tua fare',
};

/** Letters that (nearly) only one of the four languages uses. */
const LETTER_HINTS: Array<[RegExp, Known]> = [
  [/[äöüß]/g, 'de'],
  [/[çœêâîûë]/g, 'fr'],
  [/[ìò]/g, 'it'],
];

const LOOKUP = new Map<string, Known[]>();
for (const [lang, words] of Object.entries(STOPWORDS) as [Known, string][]) {
  for (const w of words.split(' ')) {
    const list = LOOKUP.get(w) ?? [];
    if (!list.includes(lang)) list.push(lang);
    LOOKUP.set(w, list);
  }
}

const WORD = /[\p{L}']+/gu;
const SAMPLE_CHARS = 3000;

/**
 * Votes with stopwords over the first few thousand characters. A language needs at least three
 * votes and a clear lead over the runner-up (or, in a very short text, be the only one voted for);
 * otherwise the text is `other`.
 */
export function detectLanguage(lowerText: string): AnalysisLanguage {
  const sample = lowerText.length > SAMPLE_CHARS ? lowerText.slice(0, SAMPLE_CHARS) : lowerText;
  const votes: Record<Known, number> = { de: 0, en: 0, fr: 0, it: 0 };
  WORD.lastIndex = 0;
  for (let m = WORD.exec(sample); m !== null; m = WORD.exec(sample)) {
    let w = m[0];
    // French and Italian elisions: l'adresse, dell'ordine, c'est.
    const apos = w.indexOf("'");
    if (apos > 0) {
      const head = w.slice(0, apos);
      if (head === 'dell' || head === 'nell' || head === 'all' || head === 'sull' || head === 'un') votes.it += 0.5;
      else if (head === 'qu' || head === 'c' || head === 'd' || head === 'n' || head === 'j' || head === 's') votes.fr += 0.5;
      w = w.slice(apos + 1);
    }
    const langs = LOOKUP.get(w);
    if (langs) for (const l of langs) votes[l] += 1 / langs.length;
  }
  for (const [re, lang] of LETTER_HINTS) votes[lang] += Math.min(3, (sample.match(re)?.length ?? 0) * 0.5);
  let best: Known = 'de';
  let second = 0;
  for (const l of ['en', 'fr', 'it'] as const) {
    if (votes[l] > votes[best]) best = l;
  }
  for (const l of ['de', 'en', 'fr', 'it'] as const) if (l !== best && votes[l] > second) second = votes[l];
  if (votes[best] >= 2 && votes[best] >= second * 1.5) return best;
  // Very short texts: accept a lone, uncontested vote.
  if (votes[best] >= 1 && second === 0) return best;
  return 'other';
}
