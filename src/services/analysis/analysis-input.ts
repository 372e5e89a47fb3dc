import type { AnalysisInput, MailAddress as AnalysisAddress } from '../../ai/types.js';
import type { UserCipher } from '../../crypto/crypto.js';
import type { MailAddress, ParsedCalendar } from '../../mail/mime/parse.js';
import type { MessageEnvelope } from '../messages/message-reader.js';
import { openBody } from '../sync/message-body.js';
import { CONTEXT } from '../sync/message-identity.js';

/** The stored columns the analyser needs (sealed as in the store). */
export interface StoredForAnalysis {
  id: string;
  date: number;
  envelope: Buffer;
  body_text: Buffer | null;
  body_html: Buffer | null;
  calendar: Buffer | null;
  has_attachments: number;
}

const address = (a: MailAddress): AnalysisAddress => ({ name: a.name || null, address: a.address ?? '' });

/** A crude HTML-to-text for mail without a text part; only the analyser reads it. */
function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<(?:br|\/p|\/div|\/li|\/tr|\/h\d)[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * Builds the analyser's input from a stored message. The envelope keeps the List-* headers and
 * (since 0012) Precedence, Auto-Submitted, X-Mailer, bulk markers, priority and the server's spam
 * flag; messages stored earlier lack those signals. The sender's history
 * (earlier correspondence, whether the user wrote to them) is added by `inputWithHistory`.
 */
export function analysisInputOf(
  cipher: UserCipher,
  row: StoredForAnalysis,
  userAddresses: string[],
  earlierCorrespondence: number,
): { input: AnalysisInput; envelope: MessageEnvelope } {
  const env = JSON.parse(cipher.openText(CONTEXT.envelope, row.id, row.envelope)) as MessageEnvelope;
  const text = row.body_text ? openBody(cipher, CONTEXT.text, row.id, row.body_text) : row.body_html ? htmlToText(openBody(cipher, CONTEXT.html, row.id, row.body_html)) : '';
  const calendar = row.calendar ? (JSON.parse(cipher.openText(CONTEXT.calendar, row.id, row.calendar)) as ParsedCalendar) : null;
  const to = (env.to ?? []).map(address);
  const cc = (env.cc ?? []).map(address);
  const mine = new Set(userAddresses.map((a) => a.toLowerCase()));
  const input: AnalysisInput = {
    subject: env.subject ?? '',
    from: env.from ? address(env.from) : { name: null, address: '' },
    to,
    cc,
    // Unknown own addresses: assume the user was addressed rather than penalise every message.
    hasBcc: mine.size > 0 && ![...to, ...cc].some((a) => mine.has(a.address.toLowerCase())),
    userAddresses,
    date: row.date,
    text,
    headers: {
      listUnsubscribe: env.listUnsubscribe,
      listUnsubscribePost: env.listUnsubscribePost,
      listId: env.listId,
      precedence: env.precedence ?? null,
      autoSubmitted: env.autoSubmitted ?? null,
      xMailer: env.xMailer ?? null,
      bulkMarkers: env.bulkMarkers ?? [],
      priority: env.priority ?? null,
      spamFlag: env.spamFlag ?? null,
    },
    hasAttachments: row.has_attachments === 1,
    calendarMethod: calendar ? (calendar.method ?? 'REQUEST') : null,
    thread: { isReply: (env.inReplyTo ?? []).length > 0 || /^\s*(re|aw|antw|r|rif)\s*:/i.test(env.subject ?? ''), userRepliedToSender: false, earlierCorrespondence },
  };
  return { input, envelope: env };
}

/** How many earlier messages of a thread an LLM sees, and how much of each. */
export const THREAD_CONTEXT = { messages: 3, chars: 2000 } as const;

/**
 * The LLM's thread context: each earlier message as sender, subject and the start of its text
 * (oldest first), plus everyone named in their headers, so the privacy gate replaces those names too.
 */
export function threadContextOf(cipher: UserCipher, rows: StoredForAnalysis[]): { texts: string[]; people: AnalysisAddress[] } {
  const people: AnalysisAddress[] = [];
  const texts = rows.map((row) => {
    const { input } = analysisInputOf(cipher, row, [], 0);
    people.push(input.from, ...input.to, ...input.cc);
    const from = input.from.name ? `${input.from.name} <${input.from.address}>` : input.from.address;
    return `From: ${from}\nSubject: ${input.subject}\n\n${input.text.slice(0, THREAD_CONTEXT.chars)}`;
  });
  return { texts, people };
}
