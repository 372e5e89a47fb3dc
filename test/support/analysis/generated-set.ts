import PostalMime, { type Address } from 'postal-mime';
import { createMailGenerator } from '../mail/generator.js';
import type { MessageKind } from '../mail/kinds.js';
import { me } from '../mail/text.js';
import type { AnalysisInput, MailAddress } from '../../../src/ai/types.js';
import type { Expected, LabelledCase } from './labelled-set.js';

/** Seed and size of the generated evaluation set (the corpus seed, natural sizes, so it runs in seconds). */
export const GENERATED_SET = { seed: 1, count: 500 } as const;

/**
 * Labels that follow from the generator's kind alone. Bodies are random word salad, so only what the
 * kind guarantees is scored: list mail is a newsletter, an iCalendar part makes a calendar message,
 * and nothing the generator writes is spam.
 */
export function expectedForKind(kind: MessageKind): Expected {
  switch (kind) {
    case 'newsletter':
      return { urgency: 1, importance: 1, category: 'newsletter', newsletter: true, spam: false };
    case 'calendar-request':
    case 'calendar-cancel':
      return { urgency: null, importance: null, category: 'calendar', newsletter: false, spam: false };
    default:
      return { urgency: null, importance: null, category: null, newsletter: false, spam: false };
  }
}

function addresses(list: Address[] | undefined): MailAddress[] {
  const out: MailAddress[] = [];
  for (const a of list ?? []) {
    if ('group' in a && Array.isArray(a.group)) for (const g of a.group) out.push({ name: g.name || null, address: g.address });
    else if ('address' in a && a.address) out.push({ name: a.name || null, address: a.address });
  }
  return out;
}

function htmlToText(html: string): string {
  return html.replace(/<(?:br|\/p|\/div)[^>]*>/gi, '\n').replace(/<[^>]+>/g, '').replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/** What a caller builds from a parsed message; the store will do the same from its columns. */
export async function inputFromSource(source: Buffer, fallbackDate: number, userAddresses: string[]): Promise<AnalysisInput> {
  const mail = await PostalMime.parse(source, { attachmentEncoding: 'utf8' });
  const header = (key: string) => mail.headers.find((h) => h.key === key)?.value ?? null;
  const from = addresses(mail.from ? [mail.from] : [])[0] ?? { name: null, address: '' };
  const to = addresses(mail.to);
  const cc = addresses(mail.cc);
  const mine = new Set(userAddresses);
  const calendar = mail.attachments.find((a) => a.mimeType === 'text/calendar' || a.mimeType === 'application/ics');
  const parsedDate = mail.date ? Date.parse(mail.date) : NaN;
  return {
    subject: mail.subject ?? '',
    from,
    to,
    cc,
    hasBcc: ![...to, ...cc].some((a) => mine.has(a.address.toLowerCase())),
    userAddresses,
    date: Number.isFinite(parsedDate) ? parsedDate : fallbackDate,
    text: mail.text ?? (mail.html ? htmlToText(mail.html) : ''),
    headers: {
      listUnsubscribe: header('list-unsubscribe'),
      listUnsubscribePost: header('list-unsubscribe-post'),
      listId: header('list-id'),
      precedence: header('precedence'),
      autoSubmitted: header('auto-submitted'),
      xMailer: header('x-mailer'),
      returnPath: mail.returnPath ?? null,
    },
    hasAttachments: mail.attachments.some((a) => a.disposition === 'attachment'),
    calendarMethod: calendar ? (calendar.method ?? /METHOD:(\w+)/.exec(String(calendar.content))?.[1] ?? 'REQUEST') : null,
    thread: { isReply: !!mail.inReplyTo, userRepliedToSender: false, earlierCorrespondence: 0 },
  };
}

/** The generated set: received messages only (the generator's "Sent" mail is from the user). */
export async function loadGenerated(count: number = GENERATED_SET.count): Promise<LabelledCase[]> {
  const gen = createMailGenerator({ seed: GENERATED_SET.seed });
  const out: LabelledCase[] = [];
  for (let i = 0; i < count; i++) {
    const m = gen.render(i);
    if (m.folder === 'Sent') continue;
    out.push({ id: `gen-${i}-${m.kind}`, input: await inputFromSource(m.source, m.dateMs, [me[1]]), expected: expectedForKind(m.kind) });
  }
  return out;
}
