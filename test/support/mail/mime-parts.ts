import { base64Lines, CRLF, encodeCharset, quotedPrintable, type Charset } from './mime-encoding.js';
import type { Rng } from './random.js';

/** Header lines and body text are strings (ASCII by construction) or raw bytes where a case needs them. */
export type Chunk = string | Buffer;

export interface Part {
  headers: Chunk[];
  body: Chunk[];
}

export function toBuffer(chunks: readonly Chunk[]): Buffer {
  return Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)));
}

export function serializePart(part: Part): Chunk[] {
  const out: Chunk[] = [];
  for (const h of part.headers) out.push(h, CRLF);
  out.push(CRLF, ...part.body);
  return out;
}

export function boundary(rng: Rng): string {
  return rng.pick(['----=_Part_', '=_mh_', '_000_', 'b1_', '----------']) + rng.hex(rng.int(12, 28));
}

export interface MultipartOptions {
  /** Extra Content-Type parameters (e.g. `type="text/html"` for related). */
  params?: string;
  preamble?: string;
  /** Omit the closing delimiter (a malformed case). */
  unterminated?: boolean;
  /** Delimiter actually written, when it should differ from the declared one (a malformed case). */
  writtenBoundary?: string;
  /** Leave the boundary parameter out of the Content-Type (a malformed case). */
  declareBoundary?: boolean;
}

export function multipart(subtype: string, b: string, parts: readonly Part[], opts: MultipartOptions = {}): Part {
  const declared = opts.declareBoundary === false ? '' : `;${CRLF} boundary="${b}"`;
  const headers = [`Content-Type: multipart/${subtype}${declared}${opts.params ? `;${CRLF} ${opts.params}` : ''}`];
  const written = opts.writtenBoundary ?? b;
  const body: Chunk[] = [];
  if (opts.preamble) body.push(opts.preamble, CRLF, CRLF);
  for (const p of parts) body.push(`--${written}`, CRLF, ...serializePart(p), CRLF);
  if (!opts.unterminated) body.push(`--${written}--`, CRLF);
  return { headers, body };
}

export type TextEncoding = 'quoted-printable' | 'base64' | '8bit' | '7bit';

export function textPart(text: string, opts: { subtype?: string; charset?: Charset; encoding?: TextEncoding; extraType?: string } = {}): Part {
  const charset = opts.charset ?? 'utf-8';
  const encoding = opts.encoding ?? 'quoted-printable';
  const bytes = encodeCharset(text, charset);
  const body: Chunk[] =
    encoding === 'quoted-printable'
      ? [quotedPrintable(bytes), CRLF]
      : encoding === 'base64'
        ? [base64Lines(bytes), CRLF]
        : [bytes, CRLF];
  return {
    headers: [
      `Content-Type: text/${opts.subtype ?? 'plain'}; charset="${charset}"${opts.extraType ?? ''}`,
      `Content-Transfer-Encoding: ${encoding}`,
    ],
    body,
  };
}

export function binaryPart(data: Buffer, contentType: string, disposition: string, extra: readonly string[] = []): Part {
  return {
    headers: [`Content-Type: ${contentType}`, 'Content-Transfer-Encoding: base64', `Content-Disposition: ${disposition}`, ...extra],
    body: [base64Lines(data), CRLF],
  };
}

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date in the given offset (minutes east of UTC). */
export function rfc5322Date(ms: number, offsetMinutes: number): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

/** iCalendar UTC timestamp. */
export function icsDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
