import PostalMime, { type Address, type Attachment, type Email } from 'postal-mime';
import { fixC1, fixC1OrNull } from './charsets.js';
import { checkStructure, findHeaderEnd, type ParseWarning } from './structure.js';

export { PARSE_WARNINGS, type ParseWarning } from './structure.js';

/** Messages above this are kept as header metadata with TOO_LARGE, their bodies are not parsed or stored. */
export const DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

export interface MailAddress {
  name: string;
  address: string;
}

export interface ParsedHeaders {
  subject: string;
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  replyTo: MailAddress[];
  /** Normalised: no angle brackets. */
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  /** Epoch ms of the Date header; null when missing or unreadable. */
  date: number | null;
  listId: string | null;
  listUnsubscribe: string | null;
  listUnsubscribePost: string | null;
  precedence: string | null;
  /** Auto-Submitted (RFC 3834), lower-cased. */
  autoSubmitted: string | null;
  /** X-Mailer or User-Agent. */
  xMailer: string | null;
  /** Names of bulk-mail marker headers present (feedback-id, x-campaign, …), lower-case. */
  bulkMarkers: string[];
  /** X-Priority / Importance / Priority, normalised. */
  priority: 'high' | 'normal' | 'low' | null;
  /** The receiving server's spam verdict (X-Spam-Flag: YES, X-Spam-Status: Yes…), null when absent. */
  spamFlag: boolean | null;
}

/** Headers whose mere presence marks a bulk mailing. */
const BULK_MARKER_HEADERS = ['feedback-id', 'x-campaign', 'x-campaign-id', 'x-mailgun-tag', 'x-mc-user', 'x-sg-eid', 'x-mailchimp-campaign', 'x-newsletter', 'x-cleverreach-id'];

function priorityOf(header: (name: string) => string | null): 'high' | 'normal' | 'low' | null {
  const x = header('x-priority');
  if (x) {
    const n = Number.parseInt(x, 10);
    if (n === 1 || n === 2) return 'high';
    if (n === 4 || n === 5) return 'low';
    if (n === 3) return 'normal';
  }
  const word = (header('importance') ?? header('priority') ?? '').toLowerCase();
  if (/high|urgent/.test(word)) return 'high';
  if (/low|non-urgent/.test(word)) return 'low';
  return word ? 'normal' : null;
}

function spamFlagOf(header: (name: string) => string | null): boolean | null {
  const flag = header('x-spam-flag') ?? header('x-spam-status');
  return flag === null ? null : /^\s*yes\b/i.test(flag);
}

export interface ParsedAttachment {
  filename: string | null;
  contentType: string;
  disposition: string | null;
  contentId: string | null;
  /** An image (or other part) the HTML refers to by cid:. */
  isInline: boolean;
  content: Uint8Array;
}

export interface ParsedCalendar {
  method: string | null;
  content: string;
}

export interface ParsedMessage {
  headers: ParsedHeaders;
  text: string | null;
  html: string | null;
  snippet: string;
  attachments: ParsedAttachment[];
  calendar: ParsedCalendar | null;
  isNewsletter: boolean;
  /** Only the header block was read (the message is above the size limit). */
  headersOnly: boolean;
  warnings: ParseWarning[];
}

export interface ParseOptions {
  maxBytes?: number;
}

/** Joins chunked input without copying a single Buffer. */
export function joinRaw(raw: Buffer | Uint8Array | readonly Uint8Array[]): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return raw.length === 1 ? Buffer.from(raw[0]!.buffer, raw[0]!.byteOffset, raw[0]!.byteLength) : Buffer.concat(raw);
}

/**
 * Parses one RFC 822 message. Never throws on bad input: what cannot be read is reported as
 * warning codes, and whatever could be read is kept. Above `maxBytes` only the headers are read.
 */
export async function parseMessage(raw: Buffer | Uint8Array | readonly Uint8Array[], options: ParseOptions = {}): Promise<ParsedMessage> {
  let buf = joinRaw(raw);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const extra: ParseWarning[] = [];
  let headersOnly = false;
  if (buf.length > maxBytes) {
    headersOnly = true;
    extra.push('TOO_LARGE');
    buf = headerBlock(buf);
  }
  const report = checkStructure(buf);
  let email: Email;
  try {
    email = await PostalMime.parse(report.decodable, { rfc822Attachments: true, attachmentEncoding: 'arraybuffer' });
  } catch {
    extra.push('PARSE_FAILED');
    headersOnly = true;
    email = await PostalMime.parse(headerBlock(report.decodable)).catch(() => ({ headers: [], headerLines: [], attachments: [] }) as Email);
  }
  return toParsed(email, [...report.warnings, ...extra], headersOnly);
}

function headerBlock(buf: Buffer): Buffer {
  const end = findHeaderEnd(buf, 0, buf.length);
  return end ? Buffer.concat([buf.subarray(0, end.headerEnd), Buffer.from('\r\n')]) : buf;
}

function toParsed(email: Email, warnings: ParseWarning[], headersOnly: boolean): ParsedMessage {
  const header = (name: string) => email.headers.find((h) => h.key === name)?.value.trim() || null;
  let date: number | null = null;
  if (email.date) {
    const ms = Date.parse(email.date);
    if (Number.isFinite(ms)) date = ms;
    else warnings.push('BAD_DATE');
  } else if (header('date') !== null) warnings.push('BAD_DATE');

  const headers: ParsedHeaders = {
    subject: fixC1(email.subject ?? '').replace(/[\r\n]+/g, ' '),
    from: mailboxes(email.from ? [email.from] : [])[0] ?? null,
    to: mailboxes(email.to),
    cc: mailboxes(email.cc),
    replyTo: mailboxes(email.replyTo),
    messageId: messageIds(email.messageId)[0] ?? null,
    inReplyTo: messageIds(email.inReplyTo),
    references: messageIds(email.references),
    date,
    listId: header('list-id'),
    listUnsubscribe: header('list-unsubscribe'),
    listUnsubscribePost: header('list-unsubscribe-post'),
    precedence: header('precedence')?.toLowerCase() ?? null,
    autoSubmitted: header('auto-submitted')?.toLowerCase() ?? null,
    xMailer: (header('x-mailer') ?? header('user-agent'))?.slice(0, 200) ?? null,
    bulkMarkers: BULK_MARKER_HEADERS.filter((name) => header(name) !== null),
    priority: priorityOf(header),
    spamFlag: spamFlagOf(header),
  };

  const attachments = email.attachments.map(toAttachment);
  const calendarPart = email.attachments.find((a) => a.mimeType === 'text/calendar');
  const calendar = calendarPart ? toCalendar(calendarPart) : null;
  const text = fixC1OrNull(email.text);
  const html = fixC1OrNull(email.html);
  return {
    headers,
    text,
    html,
    snippet: snippetOf(text, html),
    attachments,
    calendar,
    isNewsletter: Boolean(headers.listUnsubscribe || headers.listId || ['bulk', 'list', 'junk'].includes(headers.precedence ?? '')),
    headersOnly,
    warnings: [...new Set(warnings)],
  };
}

function mailboxes(list: Address[] | undefined): MailAddress[] {
  const out: MailAddress[] = [];
  for (const a of list ?? []) {
    if (a.group) for (const m of a.group) out.push({ name: fixC1(m.name), address: m.address });
    else if (a.address !== undefined) out.push({ name: fixC1(a.name), address: a.address });
  }
  return out.filter((a) => a.address !== '' || a.name !== '');
}

/** Message-IDs from a header value: every <…> token, or bare tokens with an @ when there are no brackets. */
export function messageIds(value: string | undefined | null): string[] {
  if (!value) return [];
  const bracketed = [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
  const ids = bracketed.length > 0 ? bracketed : value.split(/[\s,]+/).filter((t) => t.includes('@')).map((t) => t.replace(/^<|>$/g, ''));
  return [...new Set(ids)].slice(0, 1000);
}

function toAttachment(a: Attachment): ParsedAttachment {
  const content = a.content instanceof ArrayBuffer ? new Uint8Array(a.content) : typeof a.content === 'string' ? Buffer.from(a.content) : a.content;
  return {
    filename: a.filename ? fixC1(a.filename) : null,
    contentType: a.mimeType || 'application/octet-stream',
    disposition: a.disposition ?? null,
    contentId: a.contentId ? a.contentId.replace(/^<|>$/g, '') : null,
    isInline: Boolean(a.related),
    content,
  };
}

function toCalendar(a: Attachment): ParsedCalendar {
  const bytes = a.content instanceof ArrayBuffer ? new Uint8Array(a.content) : typeof a.content === 'string' ? Buffer.from(a.content) : a.content;
  const content = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const method = a.method ?? /^METHOD:(.+)$/im.exec(content)?.[1]?.trim().toUpperCase() ?? null;
  return { method, content };
}

const SNIPPET_CHARS = 200;

function snippetOf(text: string | null, html: string | null): string {
  const source = text ?? (html ? html.replace(/<(style|script)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ') : '');
  return source.slice(0, SNIPPET_CHARS * 8).replace(/\s+/g, ' ').trim().slice(0, SNIPPET_CHARS);
}
