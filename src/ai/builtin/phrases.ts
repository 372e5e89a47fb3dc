import { LEXICON, SIGNAL_GROUPS, type SignalGroup } from './lexicon.js';

export interface PhraseHit {
  group: SignalGroup;
  /** Offset of the match in the scanned text. */
  index: number;
}

export type SignalCounts = Record<SignalGroup, number>;

const WORD_START = '(?<![\\p{L}\\p{N}])';
const WORD_END = '(?![\\p{L}\\p{N}])';

function fragment(entry: string): string {
  return entry.endsWith('#') ? `${entry.slice(0, -1)}${WORD_END}` : entry;
}

/** One regular expression for every group and language, so the text is scanned once. */
const PHRASES = new RegExp(
  `${WORD_START}(?:${SIGNAL_GROUPS.map((g) => `(?<${g}>${LEXICON[g].map(fragment).join('|')})`).join('|')})`,
  'gu',
);

export function emptyCounts(): SignalCounts {
  const counts = {} as SignalCounts;
  for (const g of SIGNAL_GROUPS) counts[g] = 0;
  return counts;
}

/** Finds every phrase of the lexicon in already lower-cased text. */
export function findPhrases(lowerText: string): PhraseHit[] {
  const hits: PhraseHit[] = [];
  PHRASES.lastIndex = 0;
  for (let m = PHRASES.exec(lowerText); m !== null; m = PHRASES.exec(lowerText)) {
    const groups = m.groups!;
    for (const g of SIGNAL_GROUPS) {
      if (groups[g] !== undefined) {
        hits.push({ group: g, index: m.index });
        break;
      }
    }
    if (m[0].length === 0) PHRASES.lastIndex++;
  }
  return hits;
}

export function countHits(hits: readonly PhraseHit[]): SignalCounts {
  const counts = emptyCounts();
  for (const h of hits) counts[h.group]++;
  return counts;
}
