import type { SignalGroup } from './lexicon.js';
import type { Sentence } from './message-text.js';

/** Groups whose presence makes a sentence worth quoting. */
const KEY_GROUPS = new Set<SignalGroup>([
  'request', 'deadline', 'payment', 'dunning', 'finalNotice', 'urgent', 'escalation', 'legal', 'meeting', 'transactional', 'autoPayment',
]);

/** Pleasantries and closing formulas that carry no content. */
const FILLER = new RegExp(
  [
    'ich hoffe,? (?:es geht|du hattest|sie hatten|alles)', 'vielen dank im voraus', 'danke im voraus', 'ich freue mich auf', 'wir freuen uns auf',
    'bei fragen stehe', 'für fragen stehe', 'melden sie sich gerne', 'i hope (?:this|you|all)', 'thanks in advance', 'thank you in advance',
    'i look forward', 'looking forward', 'let me know if you have any questions', 'feel free to', "j'espère que", 'merci d\'avance',
    'je reste à (?:votre|ta) disposition', 'n\'hésitez pas', 'dans l\'attente de vous lire', 'spero (?:che|tu|lei|stia|vada)', 'grazie in anticipo',
    'resto a (?:tua|sua|vostra) disposizione', 'per qualsiasi domanda', 'rimango a disposizione', 'wie geht es dir',
  ].join('|'),
  'iu',
);
const URL = /https?:\/\/|www\./i;
const MAX_SENTENCE = 240;

/**
 * Extractive summary: scores the author's sentences (position, key phrases, dates, overlap with the
 * subject, length) and returns the best one to three in their original order.
 */
export function summarise(
  sentences: readonly Sentence[],
  groupsOf: (i: number) => ReadonlySet<SignalGroup> | undefined,
  hasDate: (i: number) => boolean,
  subjectWords: ReadonlySet<string>,
): string {
  if (sentences.length === 0) return '';
  let words = 0;
  const scored = sentences.map((s, i) => {
    const tokens = s.text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    words += tokens.length;
    let score = 1.5 / (1 + 0.35 * i) + (s.paragraph === 0 ? 0.3 : 0);
    const groups = groupsOf(i);
    if (groups) for (const g of groups) if (KEY_GROUPS.has(g)) score += 1.2;
    if (hasDate(i)) score += 0.6;
    let overlap = 0;
    for (const t of tokens) if (t.length > 3 && subjectWords.has(t)) overlap++;
    score += Math.min(overlap, 4) * 0.3;
    if (tokens.length < 4) score -= 1.5;
    else if (tokens.length > 45) score -= 0.7;
    if (URL.test(s.text)) score -= 1;
    if (FILLER.test(s.text)) score -= 2.5;
    const letters = s.text.replace(/[^\p{L}]/gu, '').length;
    if (letters < s.text.length * 0.5) score -= 2;
    return { i, score };
  });
  const wanted = Math.min(sentences.length, words < 40 ? 1 : words < 110 ? 2 : 3);
  const best = scored
    .filter((s) => s.score > -1)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, wanted)
    .sort((a, b) => a.i - b.i);
  const chosen = best.length ? best : [scored[0]!];
  return chosen.map(({ i }) => clip(sentences[i]!.text)).join(' ');
}

function clip(text: string): string {
  if (text.length <= MAX_SENTENCE) return text;
  const cut = text.lastIndexOf(' ', MAX_SENTENCE - 1);
  return `${text.slice(0, cut > 80 ? cut : MAX_SENTENCE - 1)}…`;
}
