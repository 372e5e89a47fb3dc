import { GREETINGS, SIGN_OFFS } from './lexicon.js';

export interface Sentence {
  text: string;
  /** Offset of the sentence in MessageText.flat. */
  start: number;
  /** Index of its paragraph (0 = first paragraph after the greeting). */
  paragraph: number;
}

export interface MessageText {
  /** The greeting line ("Hallo Anna,"), if the message opens with one. */
  greeting: string | null;
  /** The sign-off that ended the message ("Liebe Grüße"), lower-cased, if any. */
  signOff: string | null;
  /** Sentences of the author's own text: no greeting, quotes, forwarded parts or signature. */
  sentences: Sentence[];
  /** The sentences joined by newlines; phrase and date offsets refer to this string. */
  flat: string;
  /** Quoted or forwarded text followed and was cut off. */
  hadQuote: boolean;
}

/** The analyser reads at most this much of a body: deadlines and requests sit at the top. */
export const MAX_BODY_CHARS = 8000;

const SIGN_OFF_SET = new Set(SIGN_OFFS);
const GREETING_START = new RegExp(`^(?:${GREETINGS.join('|')})(?![\\p{L}])`, 'iu');
const QUOTE_HEADER = new RegExp(
  [
    '^on\\s.{3,200}\\swrote:$',
    '^am\\s.{3,200}\\sschrieb\\s?.{0,200}:$',
    '^le\\s.{3,200}\\sa\\sécrit\\s?:$',
    '^il\\s.{3,200}\\sha\\sscritto\\s?:$',
    '^-{2,}\\s*(?:original message|ursprüngliche nachricht|message d.origine|messaggio originale|forwarded message|weitergeleitete nachricht|message transféré|messaggio inoltrato)',
    '^(?:sent from my|von meinem .{1,30} gesendet|envoyé de mon|inviato da)',
  ].join('|'),
  'iu',
);
const OUTLOOK_FROM = /^(?:from|von|de|da)\s?:/i;
const OUTLOOK_SENT = /^(?:sent|gesendet|envoyé|inviato|date|datum|data)\s?:/i;
const BULLET = /^(?:[-*•–]\s|\d{1,2}[.)]\s)/;

/** Splits a body into the author's own sentences, dropping greeting, quotes and signature. */
export function readMessageText(body: string): MessageText {
  const lines = (body.length > MAX_BODY_CHARS ? body.slice(0, MAX_BODY_CHARS) : body).split(/\r\n?|\n/);
  const paragraphs: string[][] = [];
  let current: string[] = [];
  let greeting: string | null = null;
  let signOff: string | null = null;
  let hadQuote = false;
  let seenContent = false;
  const flush = () => {
    if (current.length) paragraphs.push(current);
    current = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.startsWith('>')) {
      hadQuote = true;
      continue;
    }
    if (line === '') {
      flush();
      continue;
    }
    const joined = i + 1 < lines.length ? `${line} ${lines[i + 1]!.trim()}` : line;
    if (QUOTE_HEADER.test(line) || (line.length < 120 && /[:]$/.test(joined) && QUOTE_HEADER.test(joined))) {
      hadQuote = true;
      break;
    }
    if (OUTLOOK_FROM.test(line) && lines.slice(i + 1, i + 4).some((l) => OUTLOOK_SENT.test(l.trim()))) {
      hadQuote = true;
      break;
    }
    if (line === '--' || lines[i] === '-- ') break;
    const bare = line.toLowerCase().replace(/[\s,.!]+$/u, '');
    if (seenContent && SIGN_OFF_SET.has(bare)) {
      signOff = bare;
      break;
    }
    if (!seenContent && greeting === null && isGreeting(line)) {
      greeting = line;
      continue;
    }
    seenContent = true;
    if (BULLET.test(line) && current.length) flush();
    current.push(line);
  }
  flush();

  const sentences: Sentence[] = [];
  let flat = '';
  paragraphs.forEach((para, p) => {
    for (const chunk of chunksOf(para)) {
      for (const text of splitSentences(chunk)) {
        sentences.push({ text, start: flat.length, paragraph: p });
        flat += `${text}\n`;
      }
    }
  });
  return { greeting, signOff, sentences, flat, hadQuote };
}

function isGreeting(line: string): boolean {
  if (line.length > 60 || !GREETING_START.test(line)) return false;
  return /[,!:]$/.test(line) || line.split(/\s+/).length <= 4;
}

/** Lines of a paragraph joined by spaces; list items stay separate chunks. */
function chunksOf(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const last = out.length - 1;
    if (last >= 0 && !BULLET.test(line)) out[last] = `${out[last]} ${line}`;
    else out.push(line);
  }
  return out;
}

const ABBREVIATIONS = new Set(
  ('z.b bzw usw ca dr nr inkl evtl ggf u.a d.h mr mrs ms e.g i.e etc vs no st mme sig dott ecc p.es art abs tel ' +
    'prof jan feb apr jun jul aug sep sept oct okt nov dec dez hr fr sig.ra resp cf env')
    .split(' '),
);
const ORDINAL_CONTEXT = /(?:^|\s)(?:am|den|dem|der|die|das|vom|bis|zum|zur|ab|per|seit|bis zum|le|du|au|il|dal|al)\s\d+$/iu;
const MONTH_AFTER = /^(?:jan|feb|mär|maer|apr|mai|jun|jul|aug|sep|okt|nov|dez)/i;
const BOUNDARY = /[.!?]+["»”')]*\s+/g;

export function splitSentences(chunk: string): string[] {
  const out: string[] = [];
  let from = 0;
  BOUNDARY.lastIndex = 0;
  for (let m = BOUNDARY.exec(chunk); m !== null; m = BOUNDARY.exec(chunk)) {
    const end = m.index + m[0].length;
    const next = chunk.charAt(end);
    if (!next || !/[\p{Lu}\d"„«“'(]/u.test(next)) continue;
    if (m[0].startsWith('.')) {
      const head = chunk.slice(from, m.index);
      const before = /([\p{L}.]+|\d+)$/u.exec(head)?.[1] ?? '';
      if (before.length === 1 && !/\d/.test(before)) continue;
      if (ABBREVIATIONS.has(before.toLowerCase())) continue;
      // "am 15. März", "den 3. Stock": an ordinal, not the end of a sentence.
      if (/^\d+$/.test(before) && (ORDINAL_CONTEXT.test(head) || MONTH_AFTER.test(chunk.slice(end, end + 12)))) continue;
    }
    out.push(chunk.slice(from, end).trim());
    from = end;
  }
  const rest = chunk.slice(from).trim();
  if (rest) out.push(rest);
  return out;
}
