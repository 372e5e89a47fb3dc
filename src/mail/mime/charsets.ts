/**
 * Charset helpers around the parser. Node 20's TextDecoder('windows-1252') (also used for the
 * iso-8859-1 and us-ascii labels, as WHATWG says) returns the bytes 0x80–0x9F as C1 control
 * characters instead of „ “ € …; postal-mime relies on it, so decoded text is mapped afterwards.
 */

// windows-1252 0x80–0x9F; the five undefined positions stay as they are.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const C1 = /[\u0080-\u009f]/g;

/**
 * Replaces C1 control characters by their windows-1252 meaning. C1 controls are never printable
 * text, and in mail they come from cp1252/latin1 decoded by Node 20 (or from cp1252 text sent as latin1).
 */
export function fixC1(text: string): string {
  return C1.test(text) ? text.replace(C1, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!) : text;
}

export function fixC1OrNull(text: string | null | undefined): string | null {
  return text == null ? null : fixC1(text);
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const cp1252 = new TextDecoder('windows-1252');

export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    utf8Strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Legacy 8-bit text (no charset known) as windows-1252, the usual intent of raw 8-bit header bytes. */
export function decodeCp1252(bytes: Uint8Array): string {
  return fixC1(cp1252.decode(bytes));
}

// Labels TextDecoder refuses that postal-mime still maps to a decoder (its alias and code-page tables).
const ALIASES = new Set(['iso88598i', 'iso88598e', 'shiftjis', 'windows31j', 'mskanji', 'eucjp', 'iso2022jp', 'iso2022jp1', 'iso2022jp2', 'junet', 'euckr', 'uhc', 'tis620']);
const CODE_PAGES = new Set(['932', '936', '949', '950', '874', '51932', '50220', '50221', '50222']);

const known = new Map<string, boolean>();

/** Whether the parser has a real decoder for a charset label (otherwise it falls back to windows-1252). */
export function isKnownCharset(label: string): boolean {
  const key = label.trim().toLowerCase();
  if (key === '') return true;
  let ok = known.get(key);
  if (ok === undefined) {
    const normalised = key.replace(/^(?:x-ms-|x-|cs)/, '').replace(/[\s._-]+/g, '');
    const codePage = /^(?:cp|windows|ms|ibm)(\d+)$/.exec(normalised)?.[1];
    ok = canDecode(key) || canDecode(normalised) || ALIASES.has(normalised) || (codePage !== undefined && CODE_PAGES.has(codePage));
    if (known.size < 500) known.set(key, ok);
  }
  return ok;
}

function canDecode(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}
