import type { RenderContext, RenderedBody } from './kinds.js';
import { base64Lines, CRLF, encodeCharset, quotedPrintable } from './mime-encoding.js';
import { boundary, multipart, textPart } from './mime-parts.js';
import { makePdfLike } from './png.js';
import { bodyText } from './kinds.js';

/** The deliberately broken kinds, each broken in one way real mail is. */
export function renderMalformed(ctx: RenderContext): RenderedBody {
  const { rng } = ctx;
  const text = () => bodyText(ctx, rng.int(200, 1500), 'de');
  switch (ctx.kind) {
    case 'malformed-broken-boundary': {
      // Declared boundary and written delimiters differ by one character.
      const b = boundary(rng);
      return { headers: [], root: multipart('mixed', b, [textPart(text()), textPart(text(), { subtype: 'html' })], { writtenBoundary: `${b.slice(0, -1)}X` }) };
    }
    case 'malformed-unterminated-boundary':
      return { headers: [], root: multipart('mixed', boundary(rng), [textPart(text()), textPart(text())], { unterminated: true }) };
    case 'malformed-multipart-no-boundary':
      return { headers: [], root: multipart('alternative', boundary(rng), [textPart(text()), textPart(text(), { subtype: 'html' })], { declareBoundary: false }) };
    case 'malformed-missing-date':
      return { headers: [], omitDate: true, root: textPart(text()) };
    case 'malformed-8bit-header':
      // Raw ISO-8859-1 bytes in Subject, without encoded words (old or broken mailers).
      return {
        headers: [Buffer.concat([Buffer.from('X-Mailer: '), encodeCharset('Büro-Mailer 1.0', 'iso-8859-1')])],
        subjectHeader: Buffer.concat([Buffer.from('Subject: '), encodeCharset(ctx.subject, 'iso-8859-1')]),
        root: textPart(text(), { charset: 'iso-8859-1', encoding: '8bit' }),
      };
    case 'malformed-bad-encoded-word': {
      // Each variant breaks RFC 2047 differently: truncated escape, bad base64, missing terminator, bad charset.
      const utf8 = Buffer.from(ctx.subject, 'utf8');
      const variants = [
        `=?utf-8?Q?${quotedPrintable(utf8).replace(/\r\n|=$/g, '').replace(/ /g, '_')}=C?=`,
        `=?utf-8?B?${utf8.toString('base64').slice(0, 8)}${utf8.toString('base64').slice(11)}?=`, // 4n+1 chars: never valid
        `=?utf-8?Q?${quotedPrintable(utf8).replace(/\r\n|=$/g, '').replace(/ /g, '_')}`,
        `=?x-nonsense?Q?${quotedPrintable(utf8).replace(/\r\n|=$/g, '').replace(/ /g, '_')}?=`,
      ];
      return { headers: [], subjectHeader: `Subject: ${rng.pick(variants)}`, root: textPart(text()) };
    }
    case 'malformed-bad-base64': {
      const good = base64Lines(makePdfLike(rng, rng.int(1_000, 4_000)));
      const lines = good.split(CRLF);
      const at = rng.int(0, Math.max(0, lines.length - 1));
      lines[at] = `${lines[at]!.slice(0, 10)}!!**${lines[at]!.slice(14)}=`;
      return {
        headers: [],
        root: multipart('mixed', boundary(rng), [
          textPart(text()),
          { headers: ['Content-Type: application/pdf; name="kaputt.pdf"', 'Content-Transfer-Encoding: base64', 'Content-Disposition: attachment; filename="kaputt.pdf"'], body: [lines.join(CRLF), CRLF] },
        ]),
      };
    }
    case 'malformed-unknown-charset':
      return {
        headers: [],
        root: { headers: ['Content-Type: text/plain; charset="x-mac-klingon"', 'Content-Transfer-Encoding: 8bit'], body: [encodeCharset(text(), 'iso-8859-1'), CRLF] },
      };
    default:
      throw new Error(`not a malformed kind: ${ctx.kind}`);
  }
}
