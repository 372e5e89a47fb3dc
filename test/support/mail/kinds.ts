import { address, base64Lines, CRLF, encodedWordsB, encodedWordsQ, foldHeader, headerText, rfc2231Param } from './mime-encoding.js';
import { binaryPart, boundary, icsDate, multipart, rfc5322Date, textPart, type Chunk, type Part } from './mime-parts.js';
import { makePdfLike, makePng } from './png.js';
import type { Rng } from './random.js';
import { paragraphs, type Language } from './text.js';
import { renderMalformed } from './malformed-kinds.js';

export const WELL_FORMED_KINDS = [
  'plain',
  'alternative',
  'attachment',
  'inline-image',
  'charset-latin1',
  'charset-cp1252',
  'charset-koi8r',
  'subject-q',
  'subject-b',
  'reply',
  'newsletter',
  'calendar-request',
  'calendar-cancel',
] as const;

/** Deliberately broken messages: parsers must survive them, but their decoded form is not defined. */
export const MALFORMED_KINDS = [
  'malformed-broken-boundary',
  'malformed-unterminated-boundary',
  'malformed-multipart-no-boundary',
  'malformed-missing-date',
  'malformed-8bit-header',
  'malformed-bad-encoded-word',
  'malformed-bad-base64',
  'malformed-unknown-charset',
] as const;

export const MESSAGE_KINDS = [...WELL_FORMED_KINDS, ...MALFORMED_KINDS] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export function isMalformed(kind: MessageKind): kind is MalformedKind {
  return (MALFORMED_KINDS as readonly string[]).includes(kind);
}

export interface Person {
  name: string;
  email: string;
}

export interface RenderContext {
  rng: Rng;
  kind: MessageKind;
  subject: string;
  from: Person;
  to: Person;
  dateMs: number;
  /** Bytes of filler wanted on top of the natural size (0 for the natural size). */
  pad: number;
  /** For replies: the parent's Message-ID and the References chain to write. */
  thread: { inReplyTo: string; references: string[]; parentFrom: Person; parentDateMs: number } | null;
}

export interface RenderedBody {
  /** Top-level headers besides Date/From/To/Message-ID/MIME-Version. */
  headers: Chunk[];
  /** The Subject header line; defaults to Q-encoded `subject`. */
  subjectHeader?: Chunk;
  omitDate?: boolean;
  root: Part;
}

/** Body text of about `base` characters plus the requested filler (ASCII, so its size is predictable). */
export function bodyText(ctx: RenderContext, base: number, lang: Language): string {
  const main = paragraphs(ctx.rng, base, lang);
  return ctx.pad > 0 ? `${main}${CRLF}${CRLF}${paragraphs(ctx.rng.fork('pad'), ctx.pad, 'en')}` : main;
}

function html(text: string): string {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const paras = esc.split(`${CRLF}${CRLF}`).map((p) => `<p>${p}</p>`);
  return `<!DOCTYPE html>${CRLF}<html><head><meta charset="utf-8"></head><body>${CRLF}${paras.join(CRLF)}${CRLF}</body></html>`;
}

const attachmentNames = [
  'Übersicht März 2024.pdf',
  'Angebot Größe L.pdf',
  'Lieferschein Nr. 12 – Bürobedarf für das zweite Quartal (endgültige Fassung).pdf',
  'Prüfbericht_Ölheizung.pdf',
  'report.pdf',
];

export function attachment(rng: Rng, size: number, name = rng.pick(attachmentNames)): Part {
  return binaryPart(makePdfLike(rng, size), `application/pdf;${CRLF} ${rfc2231Param('name', name)}`, `attachment;${CRLF} ${rfc2231Param('filename', name)}`);
}

function calendar(ctx: RenderContext, method: 'REQUEST' | 'CANCEL'): RenderedBody {
  const { rng } = ctx;
  const uid = `${rng.hex(24)}@mailhelper.test`;
  const start = ctx.dateMs + rng.int(1, 14) * 86_400_000;
  const ics = [
    'BEGIN:VCALENDAR',
    'PRODID:-//mailhelper//testbed//DE',
    'VERSION:2.0',
    `METHOD:${method}`,
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `SEQUENCE:${method === 'CANCEL' ? 1 : 0}`,
    `DTSTAMP:${icsDate(ctx.dateMs)}`,
    `DTSTART:${icsDate(start)}`,
    `DTEND:${icsDate(start + 3_600_000)}`,
    `SUMMARY:${ctx.subject.replace(/^(Einladung|Abgesagt): /, '')}`,
    `ORGANIZER;CN=${ctx.from.name}:mailto:${ctx.from.email}`,
    `ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${ctx.to.email}`,
    `STATUS:${method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED'}`,
    'LOCATION:Besprechungsraum Süd',
    'END:VEVENT',
    'END:VCALENDAR',
  ].join(CRLF);
  const text = bodyText(ctx, 200, 'de');
  const alt = multipart('alternative', boundary(rng), [
    textPart(text),
    textPart(ics, { subtype: 'calendar', extraType: `; method=${method}` }),
  ]);
  const root = multipart('mixed', boundary(rng), [
    alt,
    { headers: ['Content-Type: application/ics; name="invite.ics"', 'Content-Transfer-Encoding: base64', 'Content-Disposition: attachment; filename="invite.ics"'], body: [base64Lines(Buffer.from(ics)), CRLF] },
  ]);
  return { headers: [], root };
}

export function renderBody(ctx: RenderContext): RenderedBody {
  const { rng } = ctx;
  switch (ctx.kind) {
    case 'plain':
      return { headers: [], root: textPart(bodyText(ctx, rng.int(200, 3000), rng.pick(['de', 'en'] as const)), { encoding: rng.pick(['quoted-printable', '8bit'] as const) }) };
    case 'alternative': {
      const text = bodyText(ctx, rng.int(300, 3000), rng.pick(['de', 'en'] as const));
      return { headers: [], root: multipart('alternative', boundary(rng), [textPart(text), textPart(html(text), { subtype: 'html' })]) };
    }
    case 'attachment': {
      const parts = [textPart(bodyText({ ...ctx, pad: 0 }, rng.int(100, 800), 'de')), attachment(rng, rng.int(1_500, 6_000) + Math.floor(ctx.pad * 0.73))];
      if (rng.chance(0.3)) parts.push(attachment(rng, rng.int(800, 2_000), rng.pick(attachmentNames)));
      return { headers: [], root: multipart('mixed', boundary(rng), parts) };
    }
    case 'inline-image': {
      const text = bodyText(ctx, rng.int(200, 1500), 'de');
      const images = Array.from({ length: rng.int(1, 2) }, (_, i) => ({ cid: `img${i}.${rng.hex(10)}@mailhelper.test`, png: makePng(rng, rng.int(8, 32), rng.int(8, 32)) }));
      const htmlText = html(text).replace('</body>', `${images.map((im) => `<img src="cid:${im.cid}" alt="Bild">`).join(CRLF)}${CRLF}</body>`);
      const alt = multipart('alternative', boundary(rng), [textPart(text), textPart(htmlText, { subtype: 'html' })]);
      const parts = [alt, ...images.map((im, i) => binaryPart(im.png, `image/png; name="bild${i}.png"`, `inline; filename="bild${i}.png"`, [`Content-ID: <${im.cid}>`]))];
      return { headers: [], root: multipart('related', boundary(rng), parts, { params: 'type="multipart/alternative"' }) };
    }
    case 'charset-latin1': {
      const text = bodyText(ctx, rng.int(200, 2000), 'de');
      return { headers: [], subjectHeader: `Subject: ${encodedWordsQ(ctx.subject, 'iso-8859-1')}`, root: textPart(text, { charset: 'iso-8859-1', encoding: rng.pick(['quoted-printable', '8bit'] as const) }) };
    }
    case 'charset-cp1252': {
      const text = `„Zitat“ – kostet 12 € … ${bodyText(ctx, rng.int(200, 2000), 'de')}`;
      return { headers: [], subjectHeader: `Subject: ${encodedWordsQ(ctx.subject, 'windows-1252')}`, root: textPart(text, { charset: 'windows-1252', encoding: rng.pick(['quoted-printable', '8bit'] as const) }) };
    }
    case 'charset-koi8r': {
      const text = bodyText(ctx, rng.int(200, 2000), 'ru');
      return { headers: [], subjectHeader: `Subject: ${encodedWordsB(ctx.subject, 'koi8-r')}`, root: textPart(text, { charset: 'koi8-r', encoding: rng.pick(['quoted-printable', '8bit', 'base64'] as const) }) };
    }
    case 'subject-q':
      return { headers: [], subjectHeader: `Subject: ${encodedWordsQ(ctx.subject)}`, root: textPart(bodyText(ctx, rng.int(200, 2000), 'de')) };
    case 'subject-b':
      return { headers: [], subjectHeader: `Subject: ${encodedWordsB(ctx.subject)}`, root: textPart(bodyText(ctx, rng.int(200, 2000), 'de'), { encoding: 'base64' }) };
    case 'reply': {
      const t = ctx.thread!;
      const quoted = paragraphs(rng, rng.int(100, 800), 'de').split(CRLF).map((l) => `> ${l}`).join(CRLF);
      const text = `${bodyText(ctx, rng.int(50, 600), 'de')}${CRLF}${CRLF}Am ${rfc5322Date(t.parentDateMs, 60)} schrieb ${t.parentFrom.name}:${CRLF}${quoted}`;
      const headers = [`In-Reply-To: ${t.inReplyTo}`];
      if (t.references.length) headers.push(`References: ${foldHeader(t.references.join(' '))}`);
      return { headers, root: textPart(text) };
    }
    case 'newsletter':
      return newsletter(ctx);
    case 'calendar-request':
      return calendar(ctx, 'REQUEST');
    case 'calendar-cancel':
      return calendar(ctx, 'CANCEL');
    default:
      return renderMalformed(ctx);
  }
}

function newsletter(ctx: RenderContext): RenderedBody {
  const { rng } = ctx;
  const listHost = ctx.from.email.split('@')[1]!;
  const token = rng.hex(20);
  const oneClick = rng.chance(0.7);
  const headers: Chunk[] = [
    `List-Id: ${headerText(ctx.from.name)} <${listHost.replace(/^[^.]+/, (s) => `${s}-news`)}>`,
    `List-Unsubscribe: <https://${listHost}/unsubscribe?t=${token}>,${CRLF} <mailto:unsubscribe@${listHost}?subject=unsubscribe-${token}>`,
    'Precedence: bulk',
  ];
  if (oneClick) headers.push('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  const text = bodyText(ctx, rng.int(800, 4000), 'de');
  const htmlText = html(text).replace('</body>', `<p><a href="https://${listHost}/unsubscribe?t=${token}">Abmelden</a></p></body>`);
  return { headers, root: multipart('alternative', boundary(rng), [textPart(text), textPart(htmlText, { subtype: 'html' })]) };
}

export function formatAddress(p: Person): string {
  return address(p.name, p.email);
}
