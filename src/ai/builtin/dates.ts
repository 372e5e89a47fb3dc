/**
 * Finds date expressions in German, English, French and Italian and resolves them to calendar days
 * against the message's own date ("bis Freitag" in a mail of Wed 2026-03-04 is 2026-03-06).
 * Days are counted as whole days since 1970-01-01 in the sender's local time.
 */

export interface FoundDate {
  /** Days since 1970-01-01. */
  day: number;
  /** Offset of the expression in the scanned text. */
  index: number;
  /** A deadline word ("bis", "by", "avant", "entro", "fällig"…) stands right before it. */
  cued: boolean;
}

const DAY_MS = 86_400_000;

const MONTHS: Record<string, number> = {};
const monthNames = [
  'januar jänner january janvier gennaio jan genn',
  'februar february février fevrier febbraio feb févr',
  'märz maerz march mars marzo mär mar',
  'april avril aprile apr',
  'mai may maggio mag',
  'juni june juin giugno jun giu',
  'juli july juillet luglio jul lug juil',
  'august août aout agosto aug ago',
  'september septembre settembre sep sept set',
  'oktober october octobre ottobre okt oct ott',
  'november novembre nov',
  'dezember december décembre decembre dicembre dez dec déc dic',
];
monthNames.forEach((names, m) => names.split(' ').forEach((n) => (MONTHS[n] = m)));

const WEEKDAYS: Record<string, number> = {};
const weekdayNames = [
  'sonntag sunday dimanche domenica',
  'montag monday lundi lunedì lunedi',
  'dienstag tuesday mardi martedì martedi',
  'mittwoch wednesday mercredi mercoledì mercoledi',
  'donnerstag thursday jeudi giovedì giovedi',
  'freitag friday vendredi venerdì venerdi',
  'samstag saturday samedi sabato',
];
weekdayNames.forEach((names, d) => names.split(' ').forEach((n) => (WEEKDAYS[n] = d)));

/** Relative expressions and the rule that resolves them. */
const RELATIVE: Array<[string, (ref: number) => number]> = [
  ["übermorgen|day after tomorrow|après-demain|apres-demain|dopodomani", (r) => r + 2],
  ["morgen früh|(?<!guten |am |den |jeden |heute )morgen(?![\\p{L}])|tomorrow(?: eod| cob| end of day| morning| evening)?|demain|domani", (r) => r + 1],
  ["heute|today|tonight|aujourd'hui|ce soir|oggi|stasera|eod|cob|end of (?:the )?(?:business )?day|close of business|fin de (?:la )?journée|in giornata|fine giornata", (r) => r],
  ["ende (?:der|dieser) woche|end of (?:the|this) week|fin de (?:la |cette )?semaine|fine (?:della |di questa )?settimana|diese woche|this week|cette semaine|questa settimana", endOfWeek],
  ["nächste woche|nächsten woche|next week|la semaine prochaine|la prossima settimana|la settimana prossima", (r) => r + ((8 - weekday(r)) % 7 || 7)],
  ["(?:ende des|zum) monats?|monatsende|end of (?:the|this) month|month-end|fin (?:du|de ce) mois|fine (?:del )?mese", endOfMonth],
];

const NUMBER_WORDS: Record<string, number> = {};
[
  ['1', 'ein eine einem einen einer one un une uno una'],
  ['2', 'zwei two deux due'],
  ['3', 'drei three trois tre'],
  ['4', 'vier four quatre quattro'],
  ['5', 'fünf five cinq cinque'],
  ['7', 'sieben seven sept sette'],
  ['10', 'zehn ten dix dieci'],
  ['14', 'vierzehn fourteen quatorze quattordici'],
].forEach(([n, words]) => words!.split(' ').forEach((w) => (NUMBER_WORDS[w] = Number(n))));

const alt = (names: Iterable<string>) => [...names].sort((a, b) => b.length - a.length).join('|');
const MONTH_RE = alt(Object.keys(MONTHS));
// "Dec 3" is an English and German habit; Italian abbreviations (set, ago, mag…) would misfire there.
const MONTH_FIRST_RE = alt(Object.keys(MONTHS).filter((n) => !['set', 'ago', 'mag', 'giu', 'lug', 'ott', 'dic', 'genn', 'mars'].includes(n)));
const NUMBER_RE = `\\d{1,3}|${alt(Object.keys(NUMBER_WORDS))}`;

const S = '(?<![\\p{L}\\p{N}])';
const DATES = new RegExp(
  [
    `${S}(?<isoY>\\d{4})-(?<isoM>\\d{2})-(?<isoD>\\d{2})`,
    `${S}(?<numD>\\d{1,2})\\.\\s?(?<numM>\\d{1,2})\\.(?:(?<numY>\\d{4}|\\d{2})(?!\\d)|(?!\\d))`,
    `${S}(?<slA>\\d{1,2})/(?<slB>\\d{1,2})/(?<slY>\\d{4}|\\d{2})(?!\\d)`,
    `${S}(?<dmD>\\d{1,2})(?:\\.|er|st|nd|rd|th|°|º)?\\s?(?:de |of )?(?<dmM>${MONTH_RE})\\.?(?:\\s(?<dmY>\\d{4}))?(?![\\p{L}])`,
    `${S}(?<mdM>${MONTH_FIRST_RE})\\.?\\s(?<mdD>\\d{1,2})(?:st|nd|rd|th)?(?![\\p{N}])(?:,?\\s(?<mdY>\\d{4}))?`,
    `${S}(?<within>innerhalb (?:von )?|binnen |within |in |sous |dans |d'ici |entro |tra |fra )(?<n>${NUMBER_RE})\\s(?<unit>tag(?:e|en)?|werktag(?:e|en)?|days?|business days?|jours?|jours ouvrés|giorni|giorno|giorni lavorativi|woche(?:n)?|weeks?|semaines?|settiman[ae])(?![\\p{L}])`,
    ...RELATIVE.map(([re], i) => `${S}(?<rel${i}>${re})`),
    `${S}(?<next>next |nächsten |nächste |kommenden |prossimo |prossima )?(?<wd>${alt(Object.keys(WEEKDAYS))})(?<after> prochain| prossimo| prossima)?(?![\\p{L}])`,
  ].join('|'),
  'gu',
);

const CUE = new RegExp(
  `${S}(?:bis|by|until|till|before|due|deadline|frist|spätestens|fällig|zahlbar|latest|avant|jusqu'au|jusqu'à|d'ici|échéance|au plus tard|entro|prima d[ie]l?|non oltre|scadenza|scade|termine|no later than|not later than)(?![\\p{L}])`,
  'u',
);

export function weekday(day: number): number {
  return (day + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
}

function isoWeekStart(day: number): number {
  return day - ((weekday(day) + 6) % 7);
}

function endOfWeek(ref: number): number {
  const wd = weekday(ref);
  return wd === 0 || wd === 6 ? ref + ((5 - wd + 7) % 7) : ref + (5 - wd);
}

function endOfMonth(ref: number): number {
  const d = new Date(ref * DAY_MS);
  return Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0) / DAY_MS);
}

/** The local calendar day of an instant. */
export function localDay(epochMs: number, offsetMinutes = 0): number {
  return Math.floor((epochMs + offsetMinutes * 60_000) / DAY_MS);
}

export function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function dayOfIso(iso: string): number {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
}

function calendarDay(year: number, month: number, day: number): number | null {
  if (month < 0 || month > 11 || day < 1) return null;
  const t = Date.UTC(year, month, day);
  if (new Date(t).getUTCDate() !== day) return null; // 31.02. and the like
  return Math.floor(t / DAY_MS);
}

/** A date without a year is the next one on or after the message, allowing a month of look-back. */
function withoutYear(ref: number, month: number, day: number): number | null {
  const year = new Date(ref * DAY_MS).getUTCFullYear();
  const d = calendarDay(year, month, day);
  if (d === null) return calendarDay(year + 1, month, day);
  return d < ref - 30 ? calendarDay(year + 1, month, day) : d;
}

function fullYear(y: string): number {
  return y.length === 2 ? 2000 + Number(y) : Number(y);
}

function resolve(g: Record<string, string | undefined>, ref: number): number | null {
  if (g.isoY) return calendarDay(Number(g.isoY), Number(g.isoM) - 1, Number(g.isoD));
  if (g.numD) {
    const d = Number(g.numD);
    const m = Number(g.numM) - 1;
    return g.numY ? calendarDay(fullYear(g.numY), m, d) : withoutYear(ref, m, d);
  }
  if (g.slA) {
    const a = Number(g.slA);
    const b = Number(g.slB);
    const y = fullYear(g.slY!);
    // Day first (European) unless that cannot be a date and month first can.
    return calendarDay(y, b - 1, a) ?? calendarDay(y, a - 1, b);
  }
  if (g.dmD) {
    const m = MONTHS[g.dmM!]!;
    return g.dmY ? calendarDay(Number(g.dmY), m, Number(g.dmD)) : withoutYear(ref, m, Number(g.dmD));
  }
  if (g.mdM) {
    const m = MONTHS[g.mdM]!;
    return g.mdY ? calendarDay(Number(g.mdY), m, Number(g.mdD)) : withoutYear(ref, m, Number(g.mdD));
  }
  if (g.within) {
    const n = NUMBER_WORDS[g.n!] ?? Number(g.n);
    if (!Number.isFinite(n) || n > 365) return null;
    const unit = g.unit!;
    const weeks = /^(?:woche|week|semaine|settiman)/.test(unit);
    return ref + (weeks ? n * 7 : n);
  }
  if (g.wd) {
    const target = WEEKDAYS[g.wd]!;
    const day = ref + (((target - weekday(ref) + 7) % 7) || 7);
    // "next Thursday" said on a Wednesday means the Thursday of next week.
    return (g.next || g.after) && isoWeekStart(day) === isoWeekStart(ref) ? day + 7 : day;
  }
  for (let i = 0; i < RELATIVE.length; i++) if (g[`rel${i}`]) return RELATIVE[i]![1](ref);
  return null;
}

/** All date expressions of lower-cased text, resolved against the reference day. */
export function findDates(lowerText: string, refDay: number): FoundDate[] {
  const out: FoundDate[] = [];
  DATES.lastIndex = 0;
  for (let m = DATES.exec(lowerText); m !== null; m = DATES.exec(lowerText)) {
    const g = m.groups!;
    const day = resolve(g, refDay);
    if (day === null) continue;
    const lineStart = lowerText.lastIndexOf('\n', m.index - 1) + 1;
    const before = lowerText.slice(Math.max(lineStart, m.index - 40), m.index);
    const cued = CUE.test(before) || /^(?:innerhalb|binnen|within|sous|d'ici|entro)/.test(g.within ?? '');
    out.push({ day, index: m.index, cued });
  }
  return out;
}
