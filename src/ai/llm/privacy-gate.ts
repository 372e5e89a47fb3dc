import { AppError } from '../../errors.js';

/**
 * The privacy gate: the one function every LLM call goes through. For a cloud provider the subject,
 * body and thread context are anonymised (addresses, phone numbers, IBANs, URLs, long numbers, names
 * from the headers, greetings and signatures become placeholders), then a detector re-scans the
 * outgoing text with broader patterns; anything it still finds blocks the call (ANONYMISE_RESIDUE).
 * For a local provider the text passes unchanged. Pure: no clock, no I/O.
 */

export type Locality = 'local' | 'cloud';

export interface GatePerson {
  name: string | null;
  address: string;
}

export interface GateInput {
  subject: string;
  body: string;
  /** Earlier messages of the thread (plain text), oldest first. */
  thread: string[];
  /** From, To and Cc of the message (and of the thread): their display names are replaced everywhere. */
  people: GatePerson[];
}

export interface GateCounts {
  email: number;
  url: number;
  iban: number;
  phone: number;
  number: number;
  name: number;
  signature: number;
}

export interface GateOutput {
  subject: string;
  body: string;
  thread: string[];
  /** Sender and recipients as placeholders (cloud) or as they are (local). */
  people: GatePerson[];
  anonymised: boolean;
  /** How many values of each kind were replaced (figures only, never the values). */
  counts: GateCounts;
  /** Placeholder → original, kept on this side to put names back into the model's summary; never sent. */
  mapping: Record<string, string>;
}

export class AnonymiseResidueError extends AppError {
  constructor(kinds: string[]) {
    // Kinds only: the residue itself is mail content and must not reach logs or the error column.
    super('ANONYMISE_RESIDUE', `the anonymised text still contains: ${kinds.join(', ')}; the call was blocked`, 422, { kinds });
    this.name = 'AnonymiseResidueError';
  }
}

const L = '\\p{L}\\p{M}';
const wordStart = `(?<![${L}\\p{N}_])`;
const wordEnd = `(?![${L}\\p{N}_])`;

const EMAIL = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
const URL_RE = /\b(?:https?:\/\/|ftp:\/\/|www\.)[^\s<>"')\]]+/giu;
/** Country code, check digits, then 11–30 alphanumerics, optionally in groups of four. */
const IBAN = /\b[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]){11,30}\b/gu;
/** International: +41 / 0041, optional (0), then groups of digits. */
const PHONE_INTL = /(?<![\p{N}\w])(?:\+|00)[1-9]\d{0,2}[\s./-]?(?:\(0\)[\s./-]?)?\(?\d{1,4}\)?(?:[\s./-]?\d{1,5}){1,5}(?![\p{N}])/gu;
/** National: a leading 0 (CH/DE/FR/IT landlines and mobiles), or an Italian mobile 3xx. */
const PHONE_NATIONAL = /(?<![\p{N}\w.,'/-])(?:\(0\d{1,4}\)|0\d{1,4}|3\d{2})(?:[\s./-]?\d{2,8}){1,4}(?![\p{N}])/gu;
const DATE_LIKE = /^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/;
/** Any run of 9+ digits, separators allowed: customer, contract and reference numbers. */
const LONG_NUMBER = /(?<![\p{N}])\d(?:[ \u00a0'-]?\d){8,}(?![\p{N}])/gu;

const digitsOf = (s: string) => s.replace(/\D/g, '').length;

/** Words that look like names after a greeting or in a display name but are not people. */
const NOT_NAMES = new Set(
  [
    'team', 'support', 'service', 'services', 'info', 'noreply', 'no-reply', 'admin', 'newsletter', 'kundendienst', 'kundenservice',
    'gmbh', 'ag', 'sa', 'sàrl', 'sarl', 'srl', 'spa', 'ltd', 'inc', 'llc', 'co', 'kg', 'the', 'and', 'und', 'et', 'e', 'of', 'von', 'van', 'de', 'di', 'da', 'del', 'della', 'la', 'le',
    'mr', 'mrs', 'ms', 'dr', 'prof', 'herr', 'frau', 'sir', 'madam', 'madame', 'monsieur', 'mademoiselle', 'signor', 'signora', 'sig', 'sig.ra', 'dott', 'dott.ssa', 'ing',
    'all', 'everyone', 'everybody', 'together', 'folks', 'there', 'guys', 'alle', 'zusammen', 'allerseits', 'damen', 'herren', 'kollegen', 'kolleginnen', 'kunde', 'kundin',
    'tous', 'toutes', 'collègues', 'chers', 'chères', 'tutti', 'tutte', 'colleghi', 'signori', 'cliente', 'customer', 'client', 'user', 'nutzer', 'utilisateur', 'utente',
    'mail', 'e-mail', 'email', 'office', 'billing', 'accounts', 'sales', 'hr', 'it', 'helpdesk', 'notifications', 'notification', 'alerts', 'news', 'shop', 'store', 'bank',
    'sehr', 'geehrte', 'geehrter', 'liebe', 'lieber', 'hallo', 'dear', 'hello', 'hi', 'bonjour', 'ciao', 'gentile', 'caro', 'cara', 'cher', 'chère',
  ].map((w) => w.toLowerCase()),
);

const TITLE = '(?:(?:Herr|Frau|Dr\\.?|Prof\\.?|Mr\\.?|Mrs\\.?|Ms\\.?|Miss|Madame|Monsieur|Mme\\.?|M\\.|Mlle\\.?|Signor(?:a)?|Sig\\.(?:ra)?|Dott\\.(?:ssa)?|Ing\\.)\\s+)*';
const CAP = `\\p{Lu}[${L}'’-]+`;
/** A greeting and the (up to three) capitalised words after it. */
const GREETING = new RegExp(
  `(?:^|[\\n.!?]\\s*)(?:Hallo|Hi|Hey|Hello|Dear|Liebe|Lieber|Sehr geehrte[rs]?|Guten (?:Tag|Morgen|Abend)|Grüezi|Grüss dich|Servus|Moin|Bonjour|Bonsoir|Salut|Coucou|Cher|Chère|Chers|Ciao|Caro|Cara|Cari|Gentile|Gentilissim[ao]|Egregi[ao]|Buongiorno|Buonasera|Salve)[ \\t,]+${TITLE}(${CAP}(?:[ \\t]+${CAP}){0,2})`,
  'gu',
);
/** A sign-off line; the lines after it (up to the next blank line or quote) are the signature. */
const SIGN_OFF =
  /^[ \t]*(?:(?:mit )?(?:freundlichen|besten|herzlichen|liebe|viele|beste|schöne|sonnige)?\s*(?:grüsse|grüßen|grüße|gruss|gruß)|lg|mfg|vg|best(?: regards| wishes)?|kind regards|regards|warm regards|many thanks|thanks(?: a lot)?|thank you|cheers|sincerely(?: yours)?|yours(?: sincerely| truly)?|love|cordialement|bien (?:cordialement|à (?:vous|toi))|meilleures salutations|salutations(?: distinguées)?|amicalement|bisous|bises|merci(?: beaucoup)?|à bientôt|cordiali saluti|distinti saluti|saluti|un (?:caro )?saluto|un abbraccio|grazie(?: mille)?|a presto|buona giornata)[ \t]*[,!.]?[ \t]*$/imu;
const SIGNATURE_DASHES = /^-- ?$/m;
const QUOTE_START = /^(?:>|On .+wrote:|Am .+schrieb.*:|Le .+a écrit ?:|Il giorno .+ha scritto:|-{2,}\s*(?:Original|Ursprüngliche|Message d'origine|Messaggio originale)|From: |Von: |De ?: |Da: )/m;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

class Replacer {
  private readonly values = new Map<string, string>();
  private readonly next = new Map<string, number>();
  readonly mapping: Record<string, string> = {};
  readonly counts: GateCounts = { email: 0, url: 0, iban: 0, phone: 0, number: 0, name: 0, signature: 0 };

  placeholder(kind: keyof GateCounts, value: string): string {
    const key = `${kind}:${value.toLowerCase().replace(/\s+/g, '')}`;
    let p = this.values.get(key);
    if (!p) {
      const n = (this.next.get(kind) ?? 0) + 1;
      this.next.set(kind, n);
      p = `[${kind.toUpperCase()}_${n}]`;
      this.values.set(key, p);
      this.mapping[p] = value;
    }
    this.counts[kind]++;
    return p;
  }
}

/** Name tokens of a display name, greeting or signature line: capitalised words that are not titles or company words. */
export function nameTokens(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(new RegExp(`${CAP}`, 'gu'))) {
    const word = m[0].replace(/[’']s$/u, '');
    if (word.length < 2 || NOT_NAMES.has(word.toLowerCase())) continue;
    out.push(word);
  }
  return out;
}

/** Display names that are really addresses or quoted addresses are handled by the address pattern. */
function displayNameTokens(name: string | null): string[] {
  if (!name) return [];
  const cleaned = name.replace(EMAIL, ' ').replace(/["()<>]/g, ' ');
  // "Meier, Anna" and "anna meier" alike: capitalise each part so lower-case names count too.
  const words = cleaned.split(/[\s,;]+/u).filter(Boolean).map((w) => w.charAt(0).toLocaleUpperCase() + w.slice(1));
  return nameTokens(words.join(' '));
}

/** Finds the signature (after a sign-off or `-- `) and returns its start and end offsets. */
function signatureSpan(text: string): { start: number; end: number; nameLine: string } | null {
  const dashes = SIGNATURE_DASHES.exec(text);
  const signOff = SIGN_OFF.exec(text);
  const candidates = [dashes ? dashes.index + dashes[0].length : -1, signOff ? signOff.index + signOff[0].length : -1].filter((i) => i >= 0);
  if (candidates.length === 0) return null;
  const start = Math.min(...candidates);
  const rest = text.slice(start);
  const quote = QUOTE_START.exec(rest);
  let end = start + (quote ? quote.index : rest.length);
  // A signature is a few lines; a long block after a sign-off is more likely a quoted or forwarded mail.
  const lines = text.slice(start, end).split('\n');
  if (lines.length > 12) end = start + lines.slice(0, 12).join('\n').length;
  const nameLine = text.slice(start, end).split('\n').find((l) => l.trim() !== '') ?? '';
  return { start, end, nameLine };
}

function replaceAll(text: string, re: RegExp, fn: (m: string) => string | null): string {
  return text.replace(re, (m) => fn(m) ?? m);
}

/** Replaces addresses, URLs, IBANs, phone numbers and long numbers in one text. */
function replacePatterns(text: string, r: Replacer): string {
  let out = replaceAll(text, EMAIL, (m) => r.placeholder('email', m));
  out = replaceAll(out, URL_RE, (m) => r.placeholder('url', m));
  out = replaceAll(out, IBAN, (m) => (m.replace(/\s/g, '').length >= 15 ? r.placeholder('iban', m) : null));
  out = replaceAll(out, PHONE_INTL, (m) => (digitsOf(m) >= 7 ? r.placeholder('phone', m.trim()) : null));
  out = replaceAll(out, PHONE_NATIONAL, (m) => (digitsOf(m) >= 8 && !DATE_LIKE.test(m.trim()) ? r.placeholder('phone', m.trim()) : null));
  out = replaceAll(out, LONG_NUMBER, (m) => r.placeholder('number', m));
  return out;
}

function collectNames(texts: string[], people: GatePerson[]): Set<string> {
  const names = new Set<string>();
  const add = (tokens: string[]) => tokens.forEach((t) => names.add(t));
  for (const p of people) add(displayNameTokens(p.name));
  for (const text of texts) {
    for (const m of text.matchAll(GREETING)) add(nameTokens(m[1]!));
    const sig = signatureSpan(text);
    if (sig) add(nameTokens(sig.nameLine));
  }
  return names;
}

function nameRegex(names: Set<string>): RegExp | null {
  if (names.size === 0) return null;
  const alternatives = [...names].sort((a, b) => b.length - a.length).map(escapeRe);
  return new RegExp(`${wordStart}(?:${alternatives.join('|')})(?:[’']s)?${wordEnd}`, 'giu');
}

function anonymiseText(text: string, r: Replacer, names: RegExp | null): string {
  let out = text;
  const sig = signatureSpan(out);
  if (sig) {
    r.counts.signature++;
    out = `${out.slice(0, sig.start)}\n[SIGNATURE]\n${out.slice(sig.end)}`;
  }
  out = replacePatterns(out, r);
  if (names) out = out.replace(names, (m) => r.placeholder('name', m.replace(/[’']s$/u, '')));
  return out;
}

/** Broader than the anonymiser: what is left of any of these blocks the call. */
export function detectResidue(texts: string[], names: Iterable<string>): string[] {
  const kinds = new Set<string>();
  const known = nameRegex(new Set(names));
  for (const t of texts) {
    const text = t.replace(/\[(?:EMAIL|URL|IBAN|PHONE|NUMBER|NAME)_\d+\]|\[SIGNATURE\]/g, ' ');
    if (/[\p{L}\p{N}._%+-]@[\p{L}\p{N}-]+\.[\p{L}]/u.test(text) || /\bmailto:/i.test(text)) kinds.add('email');
    if (/(?:https?|ftp):\/\/|\bwww\.[\p{L}\p{N}-]+\./iu.test(text)) kinds.add('url');
    if (/\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,}/u.test(text)) kinds.add('iban');
    if (/(?:\+|\b00)\d{1,3}[\s./-]?\(?\d/u.test(text) && /(?:\+|\b00)\d(?:[\s./()-]?\d){6,}/u.test(text)) kinds.add('phone');
    if (/\d(?:[ \u00a0'-]?\d){8,}/u.test(text) || /\d{2,4}(?:[./]\d{2,4}){3,}/u.test(text)) kinds.add('number');
    if (known) {
      known.lastIndex = 0;
      if (known.test(text)) kinds.add('name');
    }
    for (const m of text.matchAll(GREETING)) if (nameTokens(m[1]!).length > 0) kinds.add('name');
  }
  return [...kinds];
}

/**
 * The privacy gate. Local providers get the text as it is; cloud providers get it anonymised, and
 * only if the detector finds nothing left (else AnonymiseResidueError, and nothing is sent).
 */
export function privacyGate(input: GateInput, locality: Locality): GateOutput {
  const empty: GateCounts = { email: 0, url: 0, iban: 0, phone: 0, number: 0, name: 0, signature: 0 };
  if (locality === 'local') return { ...input, thread: [...input.thread], people: [...input.people], anonymised: false, counts: empty, mapping: {} };
  const r = new Replacer();
  const texts = [input.subject, input.body, ...input.thread];
  const names = collectNames(texts, input.people);
  const re = nameRegex(names);
  const subject = anonymiseText(input.subject, r, re).replace(/\n\[SIGNATURE\]\n/g, ' ');
  const body = anonymiseText(input.body, r, re);
  const thread = input.thread.map((t) => anonymiseText(t, r, re));
  const people = input.people.map((p) => ({
    name: p.name ? (displayNameTokens(p.name).length > 0 ? r.placeholder('name', p.name) : replacePatterns(p.name, r)) : null,
    address: p.address ? r.placeholder('email', p.address) : '',
  }));
  const residue = detectResidue([subject, body, ...thread, ...people.map((p) => `${p.name ?? ''} ${p.address}`)], names);
  if (residue.length > 0) throw new AnonymiseResidueError(residue);
  return { subject, body, thread, people, anonymised: true, counts: r.counts, mapping: r.mapping };
}

/** Puts the original values back into a model's answer (summary, tags) before it is stored. */
export function restorePlaceholders(text: string, mapping: Record<string, string>): string {
  return text.replace(/\[(?:EMAIL|URL|IBAN|PHONE|NUMBER|NAME)_\d+\]/g, (p) => mapping[p] ?? p);
}
