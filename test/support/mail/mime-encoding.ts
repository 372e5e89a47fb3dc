/** Hand-written MIME encoders for the generator (RFC 2045/2047/2231, IMAP modified UTF-7). */

export const CRLF = '\r\n';

export type Charset = 'utf-8' | 'iso-8859-1' | 'windows-1252' | 'koi8-r';

const reverseTables = new Map<string, Map<string, number>>();

// Node's decoder treats windows-1252 as latin1 for 0x80–0x9F, so that range is spelled out here.
const cp1252High = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/** Encodes text into a single-byte charset by inverting Node's (ICU) decoder table. */
export function encodeCharset(text: string, charset: Charset): Buffer {
  if (charset === 'utf-8') return Buffer.from(text, 'utf8');
  if (charset === 'iso-8859-1') {
    // Buffer's latin1 would silently truncate code points above U+00FF.
    if (/[^\u0000-\u00ff]/.test(text)) throw new Error('text not representable in iso-8859-1');
    return Buffer.from(text, 'latin1');
  }
  let table = reverseTables.get(charset);
  if (!table) {
    table = new Map();
    const decoder = new TextDecoder(charset);
    for (let byte = 0; byte < 256; byte++) {
      const ch = decoder.decode(Uint8Array.of(byte));
      if (ch !== '\ufffd' && !table.has(ch)) table.set(ch, byte);
    }
    if (charset === 'windows-1252') for (let i = 0; i < 32; i++) table.set(cp1252High[i]!, 0x80 + i);
    reverseTables.set(charset, table);
  }
  const out = Buffer.alloc(text.length);
  let i = 0;
  for (const ch of text) {
    const byte = table.get(ch);
    if (byte === undefined) throw new Error(`character U+${ch.codePointAt(0)!.toString(16)} not in ${charset}`);
    out[i++] = byte;
  }
  return out.subarray(0, i);
}

/** Base64 in 76-character lines. */
export function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join(CRLF);
}

/** Quoted-printable (RFC 2045 6.7) of already-encoded bytes, soft line breaks at 76; byte-level for speed. */
export function quotedPrintable(data: Buffer): string {
  const out = Buffer.allocUnsafe(data.length * 3 + Math.ceil(data.length / 25) * 3 + 8);
  const hex = '0123456789ABCDEF';
  let o = 0;
  let col = 0;
  const escape = (b: number) => {
    out[o++] = 0x3d;
    out[o++] = hex.charCodeAt(b >> 4);
    out[o++] = hex.charCodeAt(b & 15);
  };
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x0d && data[i + 1] === 0x0a) {
      // Whitespace before a hard break must be encoded.
      const last = out[o - 1];
      if (col > 0 && (last === 0x20 || last === 0x09)) {
        o--;
        escape(last);
      }
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      col = 0;
      i++;
      continue;
    }
    const printable = (b >= 33 && b <= 126 && b !== 61) || b === 0x20 || b === 0x09;
    const width = printable ? 1 : 3;
    if (col + width > 75) {
      out[o++] = 0x3d;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      col = 0;
    }
    if (printable) out[o++] = b;
    else escape(b);
    col += width;
  }
  return out.toString('latin1', 0, o);
}

/** RFC 2047 B encoded words, split so each word holds whole characters and stays under 75 chars. */
export function encodedWordsB(text: string, charset: Charset = 'utf-8'): string {
  const words: string[] = [];
  let chunk = '';
  const flush = () => {
    if (chunk) words.push(`=?${charset}?B?${encodeCharset(chunk, charset).toString('base64')}?=`);
    chunk = '';
  };
  for (const ch of text) {
    if (encodeCharset(chunk + ch, charset).length > 45) flush();
    chunk += ch;
  }
  flush();
  return words.join(`${CRLF} `);
}

/** RFC 2047 Q encoded words (underscore for space). */
export function encodedWordsQ(text: string, charset: Charset = 'utf-8'): string {
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    let enc = '';
    for (const b of encodeCharset(ch, charset)) {
      if (b === 0x20) enc += '_';
      else if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) enc += String.fromCharCode(b);
      else enc += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    if (chunk.length + enc.length > 75 - charset.length - 7) {
      words.push(`=?${charset}?Q?${chunk}?=`);
      chunk = '';
    }
    chunk += enc;
  }
  if (chunk) words.push(`=?${charset}?Q?${chunk}?=`);
  return words.join(`${CRLF} `);
}

// eslint-disable-next-line no-control-regex
const needsEncoding = /[^\x20-\x7e]/;

/** A header value: plain when ASCII, otherwise Q or B encoded words. */
export function headerText(text: string, mode: 'Q' | 'B' = 'Q', charset: Charset = 'utf-8'): string {
  if (!needsEncoding.test(text)) return foldHeader(text);
  return mode === 'Q' ? encodedWordsQ(text, charset) : encodedWordsB(text, charset);
}

/** Folds a plain ASCII header value at spaces so lines stay below 78 characters. */
export function foldHeader(value: string, firstLineUsed = 12): string {
  const parts = value.split(' ');
  const lines: string[] = [];
  let line = '';
  let budget = 76 - firstLineUsed;
  for (const p of parts) {
    if (line && line.length + 1 + p.length > budget) {
      lines.push(line);
      line = p;
      budget = 76;
    } else line = line ? `${line} ${p}` : p;
  }
  lines.push(line);
  return lines.join(`${CRLF} `);
}

/** A display name + address, encoded when the name is not ASCII, quoted when it has specials. */
export function address(name: string, email: string): string {
  if (!name) return email;
  if (needsEncoding.test(name)) return `${encodedWordsQ(name)} <${email}>`;
  return /[(),.:;<>@[\]"\\]/.test(name) ? `"${name.replace(/["\\]/g, '\\$&')}" <${email}>` : `${name} <${email}>`;
}

/** RFC 2231 parameter: `name*=utf-8''…` (continuations for long values), or plain when ASCII. */
export function rfc2231Param(param: string, value: string): string {
  if (!needsEncoding.test(value) && value.length < 60) return `${param}="${value}"`;
  const encoded = [...Buffer.from(value, 'utf8')]
    .map((b) => (/[A-Za-z0-9.\-_]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
  if (encoded.length < 60) return `${param}*=utf-8''${encoded}`;
  const pieces: string[] = [];
  let rest = encoded;
  for (let n = 0; rest; n++) {
    // Never split a %XX escape.
    let cut = Math.min(50, rest.length);
    const pct = rest.lastIndexOf('%', cut - 1);
    if (pct > cut - 3 && pct >= 0 && cut < rest.length) cut = pct;
    pieces.push(`${param}*${n}*=${n === 0 ? "utf-8''" : ''}${rest.slice(0, cut)}`);
    rest = rest.slice(cut);
  }
  return pieces.join(`;${CRLF} `);
}

/** IMAP modified UTF-7 (RFC 3501 5.1.3), as Dovecot stores non-ASCII Maildir++ folder names. */
export function encodeMutf7(name: string): string {
  let out = '';
  let pending = '';
  const flush = () => {
    if (!pending) return;
    const utf16 = Buffer.alloc(pending.length * 2);
    for (let i = 0; i < pending.length; i++) utf16.writeUInt16BE(pending.charCodeAt(i), i * 2);
    out += `&${utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
    pending = '';
  };
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += ch === '&' ? '&-' : ch;
    } else pending += ch;
  }
  flush();
  return out;
}
