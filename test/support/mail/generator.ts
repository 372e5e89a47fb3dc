import { createHash } from 'node:crypto';
import { attachment, formatAddress, isMalformed, MESSAGE_KINDS, renderBody, type MessageKind, type Person, type RenderContext } from './kinds.js';
import { CRLF, headerText } from './mime-encoding.js';
import { boundary, multipart, rfc5322Date, serializePart, toBuffer, type Chunk } from './mime-parts.js';
import { createRng, type Rng } from './random.js';
import { englishSubjects, germanSubjects, me, newsletterSenders, people, russianSubjects } from './text.js';

export type ImapFlag = '\\Seen' | '\\Answered' | '\\Flagged';
export type SizeClass = 'natural' | 'small' | 'medium' | 'large';

/** Share of small (<20 KB), medium (20–500 KB) and large (1–5 MB) messages. */
export interface SizeMix {
  small: number;
  medium: number;
  large: number;
}

export interface GeneratorOptions {
  seed: number;
  /** Without a mix every message keeps its natural size (a few KB), which keeps tests fast. */
  sizeMix?: SizeMix | null;
  /** Restrict the kinds drawn (the per-block guarantee then covers only these). */
  kinds?: readonly MessageKind[];
}

export interface MessagePlan {
  index: number;
  kind: MessageKind;
  folder: string;
  flags: ImapFlag[];
  /** Unseen messages without flags may sit in Maildir `new/`. */
  inNew: boolean;
  dateMs: number;
  offsetMinutes: number;
  messageId: string;
  subject: string;
  from: Person;
  to: Person;
  parent: number | null;
  sizeClass: SizeClass;
  targetSize: number | null;
}

export interface ManifestEntry {
  index: number;
  folder: string;
  messageId: string;
  /** The subject a correct decoder shows (for malformed kinds: the text the sender meant). */
  subject: string;
  flags: ImapFlag[];
  size: number;
  sha256: string;
  kind: MessageKind;
  malformed: boolean;
  sizeClass: SizeClass;
  dateMs: number;
}

export interface GeneratedMessage extends ManifestEntry {
  source: Buffer;
  inNew: boolean;
}

export const DEFAULT_FOLDERS: ReadonlyArray<readonly [string, number]> = [
  ['INBOX', 70],
  ['Archive', 14],
  ['Archive/2024', 7],
  ['Geschäftlich', 9],
];

const SIZE_BOUNDS: Record<Exclude<SizeClass, 'natural'>, [number, number]> = {
  small: [1_500, 18_000],
  medium: [22_000, 480_000],
  large: [1_050_000, 4_800_000],
};

const BLOCK = 250;
const KIND_WEIGHTS: Record<MessageKind, number> = {
  plain: 25, alternative: 20, attachment: 8, 'inline-image': 5, 'charset-latin1': 3, 'charset-cp1252': 3, 'charset-koi8r': 2,
  'subject-q': 5, 'subject-b': 4, reply: 12, newsletter: 8, 'calendar-request': 2, 'calendar-cancel': 1,
  'malformed-broken-boundary': 0.3, 'malformed-unterminated-boundary': 0.3, 'malformed-multipart-no-boundary': 0.3,
  'malformed-missing-date': 0.3, 'malformed-8bit-header': 0.3, 'malformed-bad-encoded-word': 0.3, 'malformed-bad-base64': 0.3,
  'malformed-unknown-charset': 0.3,
};
const THREADABLE = new Set<MessageKind>(['plain', 'alternative', 'attachment', 'subject-q', 'subject-b', 'reply', 'charset-latin1']);
const BASE_MS = Date.UTC(2024, 0, 2, 7, 0, 0);

export interface MailGenerator {
  plan(index: number): MessagePlan;
  render(index: number): GeneratedMessage;
}

/** Each message is a pure function of (seed, index, options): any index can be rendered alone. */
export function createMailGenerator(options: GeneratorOptions): MailGenerator {
  const kinds = options.kinds ?? MESSAGE_KINDS;
  const plans = new Map<number, MessagePlan>();
  const perms = new Map<number, number[]>();

  const kindAt = (index: number, rng: Rng): MessageKind => {
    const block = Math.floor(index / BLOCK);
    let perm = perms.get(block);
    if (!perm) {
      const prng = createRng(options.seed, 'block', block);
      perm = Array.from({ length: BLOCK }, (_, i) => i);
      for (let i = perm.length - 1; i > 0; i--) {
        const j = prng.int(0, i);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      perms.set(block, perm);
    }
    const slot = perm[index % BLOCK]!;
    if (slot < kinds.length) return kinds[slot]!;
    return rng.weighted(kinds.map((k) => [k, KIND_WEIGHTS[k]] as const));
  };

  const plan = (index: number): MessagePlan => {
    const cached = plans.get(index);
    if (cached) return cached;
    const rng = createRng(options.seed, 'plan', index);
    const kind = kindAt(index, rng);
    let parent: number | null = null;
    if (kind === 'reply') {
      const p = index - rng.int(1, 40);
      if (p >= 0 && THREADABLE.has(plan(p).kind)) parent = p;
    }
    const fromMe = kind === 'reply' && rng.chance(0.5);
    const other = rng.pick(people);
    const sender = kind === 'newsletter' ? rng.pick(newsletterSenders) : other;
    const from: Person = fromMe ? { name: me[0], email: me[1] } : { name: sender[0], email: sender[1] };
    const to: Person = fromMe ? { name: other[0], email: other[1] } : { name: me[0], email: me[1] };
    const folder = fromMe ? 'Sent' : kind === 'newsletter' && rng.chance(0.6) ? 'Newsletter' : rng.weighted(DEFAULT_FOLDERS);
    const seen = fromMe || rng.chance(0.72);
    const flags: ImapFlag[] = [];
    if (rng.chance(0.08)) flags.push('\\Flagged');
    if (!fromMe && seen && rng.chance(0.15)) flags.push('\\Answered');
    if (seen) flags.push('\\Seen');
    const inNew = !seen && flags.length === 0 && rng.chance(0.5);
    const mix = options.sizeMix;
    const sizeClass: SizeClass = mix ? rng.weighted([['small', mix.small], ['medium', mix.medium], ['large', mix.large]] as const) : 'natural';
    let targetSize: number | null = null;
    if (sizeClass !== 'natural') {
      const [lo, hi] = SIZE_BOUNDS[sizeClass];
      // Skewed towards the lower bound, as real mail sizes are (mean ≈ 76 KB medium, 1.7 MB large).
      targetSize = Math.round(lo * Math.pow(hi / lo, Math.pow(rng.next(), 3)));
    }
    const parentPlan = parent === null ? null : plan(parent);
    const subject = parentPlan
      ? `Re: ${parentPlan.subject.replace(/^Re: /, '')}`
      : `${kind === 'reply' ? 'Re: ' : ''}${pickSubject(kind, rng)}`;
    const p: MessagePlan = {
      index, kind, folder, flags, inNew, parent, sizeClass, targetSize, subject, from, to,
      dateMs: BASE_MS + index * 1_800_000 + rng.int(0, 1_500_000),
      offsetMinutes: rng.pick([60, 120, 0, -300, 180]),
      messageId: `<${rng.hex(16)}.${index}@${from.email.split('@')[1]}>`,
    };
    plans.set(index, p);
    return p;
  };

  const references = (index: number, depth = 0): string[] => {
    const p = plan(index);
    if (p.parent === null || depth > 50) return p.kind === 'reply' && p.parent === null ? [`<external-${index}@elsewhere.example>`] : [];
    return [...references(p.parent, depth + 1), plan(p.parent).messageId];
  };

  const renderWithPad = (p: MessagePlan, pad: number): Buffer => {
    const rng = createRng(options.seed, 'render', p.index);
    let thread: RenderContext['thread'] = null;
    if (p.kind === 'reply') {
      const refs = references(p.index);
      const trimmed = refs.length > 10 ? [refs[0]!, ...refs.slice(-9)] : refs; // as mail clients trim long chains
      const parentPlan = p.parent === null ? null : plan(p.parent);
      thread = {
        inReplyTo: refs[refs.length - 1]!,
        references: trimmed,
        parentFrom: parentPlan?.from ?? { name: 'Jemand', email: 'someone@elsewhere.example' },
        parentDateMs: parentPlan?.dateMs ?? p.dateMs - 86_400_000,
      };
    }
    // Large messages are large because of an attachment, as in real mail; smaller ones grow their text.
    const wrap = p.sizeClass === 'large' && pad > 0;
    const body = renderBody({ rng, kind: p.kind, subject: p.subject, from: p.from, to: p.to, dateMs: p.dateMs, pad: wrap ? 0 : pad, thread });
    if (wrap) {
      const filler = rng.fork('filler');
      body.root = multipart('mixed', boundary(filler), [body.root, attachment(filler, Math.floor(pad * 0.73))]);
    }
    const head: Chunk[] = [];
    if (!body.omitDate) head.push(`Date: ${rfc5322Date(p.dateMs, p.offsetMinutes)}`);
    head.push(`From: ${formatAddress(p.from)}`, `To: ${formatAddress(p.to)}`);
    head.push(body.subjectHeader ?? `Subject: ${headerText(p.subject, 'Q')}`);
    head.push(`Message-ID: ${p.messageId}`, ...body.headers, 'MIME-Version: 1.0');
    const chunks: Chunk[] = [];
    for (const h of head) chunks.push(h, CRLF);
    chunks.push(...serializePart(body.root));
    return toBuffer(chunks);
  };

  const render = (index: number): GeneratedMessage => {
    const p = plan(index);
    let source = renderWithPad(p, 0);
    if (p.targetSize !== null && source.length < p.targetSize) {
      // Filler grows almost linearly; one proportional correction lands within a few percent.
      const base = source.length;
      let pad = p.targetSize - base;
      source = renderWithPad(p, pad);
      if (Math.abs(source.length - p.targetSize) > p.targetSize * 0.02 && source.length > base) {
        pad = Math.max(0, Math.round((pad * (p.targetSize - base)) / (source.length - base)));
        source = renderWithPad(p, pad);
      }
    }
    return {
      index, folder: p.folder, messageId: p.messageId, subject: p.subject, flags: p.flags, size: source.length,
      sha256: createHash('sha256').update(source).digest('hex'), kind: p.kind, malformed: isMalformed(p.kind),
      sizeClass: p.sizeClass, dateMs: p.dateMs, source, inNew: p.inNew,
    };
  };

  return { plan, render };
}

function pickSubject(kind: MessageKind, rng: Rng): string {
  switch (kind) {
    case 'charset-koi8r':
      return rng.pick(russianSubjects);
    case 'charset-latin1':
    case 'malformed-8bit-header':
      return rng.pick(germanSubjects).replace('–', '-'); // the dash is not in ISO-8859-1
    case 'subject-q':
    case 'subject-b':
    case 'malformed-bad-encoded-word':
      return rng.pick(germanSubjects);
    case 'charset-cp1252':
      return `„${rng.pick(germanSubjects)}“ – Info`;
    case 'newsletter':
      return `Newsletter ${rng.int(1, 52)}/2024: ${rng.pick(['Angebote der Woche', 'Neuigkeiten', 'This week in review'])}`;
    case 'calendar-request':
      return `Einladung: ${rng.pick(['Projekt-Kickoff', 'Jour fixe', 'Quartalsplanung'])}`;
    case 'calendar-cancel':
      return `Abgesagt: ${rng.pick(['Projekt-Kickoff', 'Jour fixe', 'Quartalsplanung'])}`;
    default:
      return rng.pick([...englishSubjects, ...germanSubjects]);
  }
}

export function* generateMessages(options: GeneratorOptions & { count: number; start?: number }): Generator<GeneratedMessage> {
  const gen = createMailGenerator(options);
  const start = options.start ?? 0;
  for (let i = start; i < start + options.count; i++) yield gen.render(i);
}
