import { randomBytes } from 'node:crypto';
import PostalMime, { type Address, type Attachment, type Email } from 'postal-mime';
import { fixC1, fixC1OrNull } from './charsets.js';
import { applyPatches, checkStructure, findHeaderEnd, type LeafPart, type ParseWarning, type Patch } from './structure.js';

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
  /** Decoded size in bytes. */
  size: number;
  /** The decoded bytes; null when the attachment is given as `source` instead. */
  content: Uint8Array | null;
  /**
   * Where the attachment's still-encoded body lies in the raw source (byte range, encoding), when it
   * was not decoded: it is stored once, as part of the source, and decoded on download.
   */
  source: SourceRange | null;
}

export interface SourceRange {
  start: number;
  end: number;
  encoding: 'base64';
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

/** What `planParse` hands to the decoder: plain data, so it can cross to a worker thread. */
export interface ParseJob {
  decodable: Uint8Array;
  warnings: ParseWarning[];
  headersOnly: boolean;
}

/** A message ready for the decoder, with the attachment bodies it left out. */
export interface ParsePlan {
  job: ParseJob;
  /** The same job with every body in place (when a left-out body cannot be matched up). */
  fullJob: () => ParseJob;
  skipped: SkippedPart[];
}

interface SkippedPart {
  range: SourceRange;
  size: number;
  /** The bytes the decoder sees instead of the body. */
  marker: Buffer;
}

/** Base64 bodies smaller than this are decoded as before: too small to matter. */
const MIN_SKIP_BYTES = 512;

/**
 * Structure pass and decoder input for one message. Base64 bodies of non-text parts (attachments,
 * inline images) outside nested messages are replaced by a short random marker, so the decoder
 * never decodes them: their metadata still comes from the decoder, their bytes stay in the source.
 */
export function planParse(raw: Buffer | Uint8Array | readonly Uint8Array[], options: ParseOptions = {}): ParsePlan {
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
  const warnings = [...report.warnings, ...extra];
  const fullJob = () => ({ decodable: report.decodable, warnings, headersOnly });
  const candidates = headersOnly ? [] : report.leaves.filter(skippable);
  if (candidates.length === 0) return { job: fullJob(), fullJob, skipped: [] };
  const nonce = randomBytes(12);
  const skipped: SkippedPart[] = [];
  const patches: Patch[] = [...report.patches];
  for (const leaf of candidates) {
    const chars = leaf.base64Chars;
    if (chars % 4 === 1) continue;
    const marker = Buffer.alloc(16);
    nonce.copy(marker);
    marker.writeUInt32BE(skipped.length, 12);
    skipped.push({ range: { start: leaf.start, end: leaf.end, encoding: 'base64' }, size: Math.floor((chars * 3) / 4), marker });
    patches.push({ start: leaf.start, end: leaf.end, bytes: Buffer.from(marker.toString('base64'), 'latin1') });
  }
  return { job: { decodable: applyPatches(buf, patches), warnings, headersOnly }, fullJob, skipped };
}

function skippable(leaf: LeafPart): boolean {
  return leaf.cte === 'base64' && leaf.base64Chars > 0 && !leaf.isTop && leaf.end - leaf.start >= MIN_SKIP_BYTES && !leaf.type.startsWith('text/') && !leaf.type.startsWith('message/');
}

/** Runs the decoder (postal-mime) on a planned job. Never throws. */
export async function runParseJob(job: ParseJob): Promise<ParsedMessage> {
  const decodable = joinRaw(job.decodable);
  const warnings = [...job.warnings];
  let headersOnly = job.headersOnly;
  let email: Email;
  try {
    email = await PostalMime.parse(toArrayBuffer(decodable), { rfc822Attachments: true, attachmentEncoding: 'arraybuffer' });
  } catch {
    warnings.push('PARSE_FAILED');
    headersOnly = true;
    email = await PostalMime.parse(toArrayBuffer(headerBlock(decodable))).catch(() => ({ headers: [], headerLines: [], attachments: [] }) as Email);
  }
  return toParsed(email, warnings, headersOnly);
}

/** postal-mime copies anything but an ArrayBuffer through a Blob; a Buffer that owns its memory is handed over as it is. */
function toArrayBuffer(buf: Buffer): ArrayBuffer {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer) return buf.buffer;
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/**
 * Puts the left-out bodies back as source ranges. Null when a marker did not come back as exactly
 * one attachment (the decoder saw the part differently): then decode `plan.fullJob()` instead.
 */
export function resolveSkipped(plan: ParsePlan, parsed: ParsedMessage): ParsedMessage | null {
  if (plan.skipped.length === 0) return parsed;
  const found = new Set<number>();
  const attachments = parsed.attachments.map((a) => {
    if (!a.content || a.content.byteLength !== 16) return a;
    const content = Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength);
    const index = plan.skipped.findIndex((p) => p.marker.equals(content));
    if (index === -1) return a;
    found.add(index);
    const part = plan.skipped[index]!;
    return { ...a, size: part.size, content: null, source: part.range };
  });
  const leaked = (text: string | null) => text !== null && plan.skipped.some((p) => text.includes(p.marker.toString('base64')));
  if (found.size !== plan.skipped.length || attachments.filter((a) => a.source).length !== found.size || leaked(parsed.text) || leaked(parsed.html)) return null;
  return { ...parsed, attachments };
}

/**
 * Parses one RFC 822 message. Never throws on bad input: what cannot be read is reported as
 * warning codes, and whatever could be read is kept. Above `maxBytes` only the headers are read.
 * Large base64 attachments are not decoded: they come back as `source` ranges into `raw`.
 * `run` decodes a job (a worker's, for large messages).
 */
export async function parseMessage(raw: Buffer | Uint8Array | readonly Uint8Array[], options: ParseOptions = {}, run: (job: ParseJob) => Promise<ParsedMessage> = runParseJob): Promise<ParsedMessage> {
  const plan = planParse(raw, options);
  const parsed = await run(plan.job);
  return resolveSkipped(plan, parsed) ?? run(plan.fullJob());
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
    size: content.byteLength,
    source: null,
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
