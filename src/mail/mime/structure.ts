import { decodeCp1252, isKnownCharset, isValidUtf8 } from './charsets.js';

/**
 * A structural check of the raw MIME tree that postal-mime does not report: it walks headers and
 * boundaries on the bytes, records warning codes, and repairs what can be repaired without
 * guessing much (raw 8-bit header bytes, broken encoded words, unknown charset labels on UTF-8
 * bodies) by returning a patched copy for the decoder. The stored raw source is never changed.
 */

export const PARSE_WARNINGS = [
  'EMPTY_MESSAGE',
  'NO_HEADER_SEPARATOR',
  'MALFORMED_HEADER',
  'RAW_8BIT_HEADER',
  'BAD_ENCODED_WORD',
  'MISSING_DATE',
  'BAD_DATE',
  'MISSING_MESSAGE_ID',
  'NO_BOUNDARY',
  'BROKEN_BOUNDARY',
  'UNTERMINATED_BOUNDARY',
  'UNKNOWN_CHARSET',
  'UNKNOWN_TRANSFER_ENCODING',
  'BAD_BASE64',
  'TOO_DEEP',
  'TOO_MANY_PARTS',
  'TOO_LARGE',
  'PARSE_FAILED',
] as const;
export type ParseWarning = (typeof PARSE_WARNINGS)[number];

const MAX_DEPTH = 100;
const MAX_PARTS = 5_000;
const KNOWN_CTE = new Set(['', '7bit', '8bit', 'binary', 'base64', 'quoted-printable', 'x-uuencode', 'uuencode', 'x-uue']);

export interface StructureReport {
  warnings: Set<ParseWarning>;
  /** The bytes to hand to the decoder: the input itself, or a patched copy. */
  decodable: Buffer;
  /** Byte offset where the top-level body starts in the input (its length when there is no body). */
  bodyStart: number;
  /** The repairs applied to `decodable` (header and charset labels), in input offsets. */
  patches: Patch[];
  /**
   * Leaf parts outside any nested message, in document order, with their body ranges in the input:
   * what the parser may skip decoding (see `planParse`).
   */
  leaves: LeafPart[];
}

export interface LeafPart {
  /** Body bytes [start, end) in the input, without the line break before the next delimiter. */
  start: number;
  end: number;
  /** Lower-case MIME type. */
  type: string;
  /** Lower-case Content-Transfer-Encoding ('' when absent). */
  cte: string;
  /** The body is the message's own top-level body. */
  isTop: boolean;
  /** For valid base64 bodies (only the alphabet, padding only at the end): how many alphabet characters; else -1. */
  base64Chars: number;
}

export interface Patch {
  start: number;
  end: number;
  bytes: Buffer;
}

interface HeaderField {
  name: string;
  value: string;
}

/** The blank line ending a header block: [headerEnd, bodyStart), or null if there is none. */
export function findHeaderEnd(buf: Buffer, start: number, end: number): { headerEnd: number; bodyStart: number } | null {
  let i = start;
  while (i < end) {
    let nl = buf.indexOf(10, i);
    if (nl === -1 || nl >= end) nl = end;
    const lineEnd = nl > i && buf[nl - 1] === 13 ? nl - 1 : nl;
    if (lineEnd === i && nl < end) return { headerEnd: i, bodyStart: nl + 1 };
    i = nl + 1;
  }
  return null;
}

function parseFields(text: string, onMalformed: () => void): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of text.split(/\r?\n(?![ \t])/)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) {
      onMalformed();
      if (colon <= 0) continue;
    }
    fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).replace(/\r?\n[ \t]/g, ' ').trim() });
  }
  return fields;
}

/** "type/subtype; a=b; c="d"" → lower-case type and parameters (names lower-cased). */
export function parseStructured(value: string): { type: string; params: Record<string, string> } {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') quoted = !quoted;
    if (c === '\\' && quoted && i + 1 < value.length) {
      current += value[++i];
      continue;
    }
    if (c === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else if (c !== '"') current += c;
  }
  parts.push(current);
  const params: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
  }
  return { type: (parts[0] ?? '').trim().toLowerCase(), params };
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)(\?=)?/g;
const BASE64_CHAR = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Checks and repairs RFC 2047 words in one header value: an unknown charset becomes utf-8 when
 * the bytes are valid UTF-8 (else windows-1252), a truncated Q escape is dropped, a missing "?="
 * is added. Undecodable B text is left for the decoder to salvage what it can.
 */
function repairEncodedWords(value: string, warn: () => void): string {
  return value.replace(ENCODED_WORD, (word, charset: string, enc: string, text: string, end: string | undefined) => {
    let bad = !end;
    let label = charset;
    const q = enc.toUpperCase() === 'Q';
    let body = text;
    if (q && /=(?![0-9A-Fa-f]{2})/.test(text)) {
      bad = true;
      body = text.replace(/=(?![0-9A-Fa-f]{2})[0-9A-Fa-f]?/g, '');
    }
    if (!q) {
      // Unpadded: 4n+1 characters can never decode; padded: the whole word must be a multiple of 4.
      const unpadded = text.replace(/=+$/, '');
      if (!BASE64_CHAR.test(text) || unpadded.length % 4 === 1 || (unpadded.length !== text.length && text.length % 4 !== 0)) bad = true;
    }
    if (!isKnownCharset(charset.replace(/\*.*$/, ''))) {
      bad = true;
      const bytes = q
        ? Buffer.from(body.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1')
        : Buffer.from(body, 'base64');
      label = isValidUtf8(bytes) ? 'utf-8' : 'windows-1252';
    }
    if (!bad) return word;
    warn();
    return `=?${label}?${enc}?${body}?=`;
  });
}

/** Decodes the top header block line by line: ASCII and UTF-8 lines as they are, other 8-bit lines as windows-1252. */
function decodeTopHeader(buf: Buffer, end: number, warn: (w: ParseWarning) => void): string {
  let has8bit = false;
  for (let i = 0; i < end; i++) {
    if (buf[i]! >= 0x80) {
      has8bit = true;
      break;
    }
  }
  if (!has8bit) return buf.toString('latin1', 0, end);
  const block = buf.subarray(0, end);
  if (isValidUtf8(block)) return block.toString('utf8');
  warn('RAW_8BIT_HEADER');
  let out = '';
  let i = 0;
  while (i < end) {
    let nl = block.indexOf(10, i);
    nl = nl === -1 ? end : nl + 1;
    const line = block.subarray(i, nl);
    out += isValidUtf8(line) ? line.toString('utf8') : decodeCp1252(line);
    i = nl;
  }
  return out;
}

const CHARSET_PARAM = /(charset\s*=\s*)("?)([^";\s]+)\2/i;

export function checkStructure(buf: Buffer): StructureReport {
  const warnings = new Set<ParseWarning>();
  const warn = (w: ParseWarning) => warnings.add(w);
  const patches: Patch[] = [];
  let parts = 0;
  const leaves: LeafPart[] = [];

  if (buf.length === 0) {
    warn('EMPTY_MESSAGE');
    return { warnings, decodable: buf, bodyStart: 0, leaves: [], patches: [] };
  }

  const top = findHeaderEnd(buf, 0, buf.length);
  if (!top) warn('NO_HEADER_SEPARATOR');
  const headerEnd = top?.headerEnd ?? buf.length;
  const bodyStart = top?.bodyStart ?? buf.length;

  // Top header: decode, repair encoded words, and hand the decoder UTF-8 if anything changed.
  let headerText = decodeTopHeader(buf, headerEnd, warn);
  let headerChanged = warnings.has('RAW_8BIT_HEADER');
  const repairWord = () => {
    headerChanged = true;
    warn('BAD_ENCODED_WORD');
  };
  headerText = headerText
    .split(/(\r?\n)(?![ \t])/)
    .map((line) => (/^(subject|from|to|cc|reply-to|sender|bcc)\s*:/i.test(line) ? repairEncodedWords(line, repairWord) : line))
    .join('');
  const topFields = parseFields(headerText, () => warn('MALFORMED_HEADER'));
  if (!topFields.some((f) => f.name === 'date')) warn('MISSING_DATE');
  if (!topFields.some((f) => f.name === 'message-id' && f.value !== '')) warn('MISSING_MESSAGE_ID');

  const scanPart = (fields: HeaderField[], start: number, end: number, depth: number, isTop: boolean, inMessage: boolean): void => {
    if (++parts > MAX_PARTS) return void warn('TOO_MANY_PARTS');
    if (depth > MAX_DEPTH) return void warn('TOO_DEEP');
    const ctField = fields.find((f) => f.name === 'content-type');
    const ct = parseStructured(ctField?.value ?? 'text/plain');
    const cte = (fields.find((f) => f.name === 'content-transfer-encoding')?.value ?? '').toLowerCase();
    if (!KNOWN_CTE.has(cte)) warn('UNKNOWN_TRANSFER_ENCODING');

    if (ct.type.startsWith('multipart/')) {
      const boundary = ct.params.boundary;
      if (!boundary) return void warn('NO_BOUNDARY');
      const bodies = splitMultipart(buf, start, end, boundary, warn);
      for (const [s, e] of bodies) scanChild(s, e, depth + 1, inMessage);
      return;
    }
    if (ct.type === 'message/rfc822' || ct.type === 'message/global') {
      if (cte === '' || cte === '7bit' || cte === '8bit' || cte === 'binary') scanChild(start, end, depth + 1, true);
      return;
    }
    const base64Chars = cte === 'base64' ? countBase64(buf, start, end) : -1;
    if (cte === 'base64' && base64Chars === -1) warn('BAD_BASE64');
    if (!inMessage) leaves.push({ start, end, type: ct.type, cte, isTop, base64Chars });
    if (ct.type.startsWith('text/') && ct.params.charset !== undefined && !isKnownCharset(ct.params.charset)) {
      warn('UNKNOWN_CHARSET');
      const plain = cte === '' || cte === '7bit' || cte === '8bit' || cte === 'binary';
      if (plain && isValidUtf8(buf.subarray(start, end))) {
        if (isTop) {
          headerText = headerText.replace(CHARSET_PARAM, '$1$2utf-8$2');
          headerChanged = true;
        }
        else patchCharset(fields, start);
      }
    }
  };

  // The header block of a child part starts where its range starts; its label is patched in place.
  const childHeaders = new Map<number, { headerStart: number; headerEnd: number }>();
  const patchCharset = (_fields: HeaderField[], bodyAt: number) => {
    const h = childHeaders.get(bodyAt);
    if (!h) return;
    const text = buf.toString('latin1', h.headerStart, h.headerEnd);
    const m = CHARSET_PARAM.exec(text);
    if (!m) return;
    const at = h.headerStart + m.index + m[1]!.length + m[2]!.length;
    patches.push({ start: at, end: at + m[3]!.length, bytes: Buffer.from('utf-8') });
  };

  const scanChild = (start: number, end: number, depth: number, inMessage: boolean) => {
    const h = findHeaderEnd(buf, start, end);
    const hEnd = h?.headerEnd ?? end;
    const bStart = h?.bodyStart ?? end;
    childHeaders.set(bStart, { headerStart: start, headerEnd: hEnd });
    scanPart(parseFields(buf.toString('latin1', start, hEnd), () => {}), bStart, end, depth, false, inMessage);
  };

  scanPart(topFields, bodyStart, buf.length, 0, true, false);

  if (headerChanged) patches.unshift({ start: 0, end: headerEnd, bytes: Buffer.from(headerText, 'utf8') });
  return { warnings, decodable: applyPatches(buf, patches), bodyStart, leaves, patches };
}

/** Part body ranges of a multipart; warns when the delimiter never appears or the close delimiter is missing. */
function splitMultipart(buf: Buffer, start: number, end: number, boundary: string, warn: (w: ParseWarning) => void): Array<[number, number]> {
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const ranges: Array<[number, number]> = [];
  let partStart = -1;
  let closed = false;
  let pos = start;
  while (pos < end) {
    const at = buf.indexOf(delim, pos);
    if (at === -1 || at + delim.length > end) break;
    pos = at + delim.length;
    if (at !== start && buf[at - 1] !== 10) continue;
    let after = at + delim.length;
    const isClose = buf[after] === 45 && buf[after + 1] === 45;
    if (isClose) after += 2;
    while (after < end && (buf[after] === 32 || buf[after] === 9)) after++;
    if (after < end && buf[after] !== 13 && buf[after] !== 10) continue;
    if (partStart !== -1) ranges.push([partStart, lineBreakBefore(buf, at, partStart)]);
    if (isClose) {
      closed = true;
      partStart = -1;
      break;
    }
    if (buf[after] === 13) after++;
    partStart = after < end ? after + 1 : end;
  }
  if (ranges.length === 0 && partStart === -1) {
    warn('BROKEN_BOUNDARY');
    return [];
  }
  if (!closed) {
    warn('UNTERMINATED_BOUNDARY');
    if (partStart !== -1) ranges.push([partStart, end]);
  }
  return ranges;
}

function lineBreakBefore(buf: Buffer, at: number, floor: number): number {
  let e = at;
  if (e > floor && buf[e - 1] === 10) e--;
  if (e > floor && buf[e - 1] === 13) e--;
  return e;
}

const NOT_BASE64 = /[^A-Za-z0-9+/=\r\n \t]/;
const ONLY_PADDING = /^[=\r\n \t]*$/;

/**
 * The number of base64 alphabet characters in a body, or -1 unless it holds only the alphabet
 * and whitespace with padding only at the end. Native string searches only: a byte loop or a
 * backtracking regex costs several times more on multi-MB attachments.
 */
function countBase64(buf: Buffer, start: number, end: number): number {
  const text = buf.toString('latin1', start, end);
  if (NOT_BASE64.test(text)) return -1;
  const pad = text.indexOf('=');
  const dataEnd = pad === -1 ? text.length : pad;
  if (pad !== -1 && !ONLY_PADDING.test(text.slice(pad))) return -1;
  let blanks = 0;
  for (const c of ['\n', '\r', ' ', '\t']) {
    for (let i = text.indexOf(c); i !== -1 && i < dataEnd; i = text.indexOf(c, i + 1)) blanks++;
  }
  return dataEnd - blanks;
}

/** The input with the given ranges replaced (overlapping patches after the first are skipped). */
export function applyPatches(buf: Buffer, patches: readonly Patch[]): Buffer {
  if (patches.length === 0) return buf;
  patches = [...patches].sort((a, b) => a.start - b.start);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const p of patches) {
    if (p.start < at) continue;
    pieces.push(buf.subarray(at, p.start), p.bytes);
    at = p.end;
  }
  pieces.push(buf.subarray(at));
  return Buffer.concat(pieces);
}
