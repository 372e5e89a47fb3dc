import { createRequire } from 'node:module';
import type SanitizeHtml from 'sanitize-html';

/** sanitize-html (with htmlparser2 and postcss) is loaded when the first message is shown, not at start. */
let sanitizeHtmlModule: typeof SanitizeHtml | null = null;
const sanitizeHtml: typeof SanitizeHtml = ((html, options) => {
  sanitizeHtmlModule ??= createRequire(import.meta.url)('sanitize-html') as typeof SanitizeHtml;
  return sanitizeHtmlModule(html, options);
}) as typeof SanitizeHtml;

/**
 * Mail HTML as the message frame shows it. The policy (docs/security.md, "Mail HTML"):
 * an allowlist of layout and text elements; no scripts, event handlers, forms, frames, objects,
 * embeds, SVG, MathML, meta, base or link elements; links only http, https and mailto, opened in a
 * new tab without opener or referrer; images only as data: URIs of png, jpeg, gif or webp (inline
 * `cid:` parts are turned into those) and, when the reader allowed it for this message, remote
 * http/https images; CSS only as style attributes and <style> blocks from which positioning,
 * stacking, @import and escapes are removed. The frame's own CSP and sandbox are the second wall.
 */

export interface SanitiseOptions {
  /** Inline parts by Content-ID (without angle brackets), already as data: URIs. */
  inlineImages?: ReadonlyMap<string, string>;
  /** Remote images stay (true) or are replaced by their alt text (false). */
  remoteImages: boolean;
}

export interface SanitisedHtml {
  html: string;
  /** Remote images held back; the UI offers "load images" when this is above 0. */
  blockedImages: number;
}

export const INLINE_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

const SAFE_DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp);base64,[a-z0-9+/=\s]*$/i;

const TAGS = [
  'a', 'abbr', 'address', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption', 'center', 'cite', 'code', 'col',
  'colgroup', 'dd', 'del', 'details', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure', 'font', 'h1', 'h2', 'h3',
  'h4', 'h5', 'h6', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'mark', 'ol', 'p', 'pre', 'q', 's', 'samp', 'section',
  'small', 'span', 'strike', 'strong', 'style', 'sub', 'summary', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead',
  'tr', 'tt', 'u', 'ul', 'var', 'article', 'aside', 'header', 'footer', 'main', 'nav',
];

const COMMON_ATTRIBUTES = ['style', 'class', 'id', 'title', 'dir', 'lang', 'align', 'valign', 'width', 'height', 'bgcolor', 'color', 'border'];

/** Elements dropped with everything inside them, text included. */
const DROPPED_WITH_CONTENT = [
  'script', 'textarea', 'option', 'select', 'noscript', 'title', 'head', 'svg', 'math', 'iframe', 'frame', 'frameset',
  'object', 'embed', 'applet', 'template', 'xmp', 'noembed', 'noframes', 'canvas', 'audio', 'video', 'form', 'button',
];

/** Declarations that could lift mail content over the page or out of its flow. */
const BANNED_PROPERTY = /^(position|z-index|inset|top|left|right|bottom|transform|translate|behavior|-moz-binding|content|cursor|pointer-events|clip|clip-path|mask|filter)$/i;

/**
 * One CSS text (a style attribute or a <style> block) with the banned declarations and at-rules
 * removed. Escapes and expressions can hide a property name from any filter: such CSS is dropped.
 */
export function sanitiseCss(css: string): string {
  const text = css.replace(/\/\*[\s\S]*?(\*\/|$)/g, ' ').replace(/<!--|-->/g, ' ');
  if (/\\|expression\s*\(|javascript:|vbscript:|@import|@font-face|@namespace|<\//i.test(text)) return '';
  return text.replace(/([{;]|^)\s*([-a-z]+)\s*:([^;{}]*)/gi, (whole, sep: string, prop: string, value: string) => {
    if (BANNED_PROPERTY.test(prop)) return sep;
    // url() in mail CSS: only data images; remote backgrounds would be a tracking channel.
    if (/url\s*\(/i.test(value) && !/url\s*\(\s*['"]?data:image\/(png|jpeg|gif|webp);/i.test(value)) return sep;
    return whole;
  }).replace(/([;{])(\s*;)+/g, '$1');
}

function contentIdOf(src: string): string {
  try {
    return decodeURIComponent(src.slice(4)).replace(/^<|>$/g, '').trim().toLowerCase();
  } catch {
    return '';
  }
}

export function sanitiseMailHtml(html: string, options: SanitiseOptions): SanitisedHtml {
  let blockedImages = 0;
  const inline = new Map<string, string>();
  for (const [cid, uri] of options.inlineImages ?? []) inline.set(cid.replace(/^<|>$/g, '').trim().toLowerCase(), uri);

  const out = sanitizeHtml(html, {
    allowedTags: TAGS,
    allowVulnerableTags: true, // <style>: its text goes through sanitiseCss below
    nonTextTags: DROPPED_WITH_CONTENT.concat(),
    disallowedTagsMode: 'discard',
    allowedAttributes: {
      '*': COMMON_ATTRIBUTES,
      a: ['href', 'name', 'target', 'rel'],
      img: ['src', 'alt', 'width', 'height'],
      td: ['colspan', 'rowspan', 'nowrap'],
      th: ['colspan', 'rowspan', 'scope', 'nowrap'],
      col: ['span'],
      colgroup: ['span'],
      ol: ['start', 'type', 'reversed'],
      table: ['cellpadding', 'cellspacing', 'summary'],
      font: ['face', 'size'],
      details: ['open'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['data', 'http', 'https'] },
    allowProtocolRelative: false,
    parseStyleAttributes: false,
    transformTags: {
      '*': cleanStyleAttribute,
      a: (tagName, attribs) => {
        const next: Record<string, string> = { ...attribs };
        delete next.target;
        delete next.rel;
        // Only absolute links: a relative one would resolve against this app's origin.
        if (next.href !== undefined && !/^\s*(https?:\/\/|mailto:)/i.test(next.href)) delete next.href;
        if (next.href !== undefined) {
          next.target = '_blank';
          next.rel = 'noopener noreferrer';
        }
        return { tagName, attribs: next };
      },
      img: (tagName, attribs) => {
        const next: Record<string, string> = { ...attribs };
        const src = (attribs.src ?? '').trim();
        delete next.src;
        if (/^cid:/i.test(src)) {
          const uri = inline.get(contentIdOf(src));
          if (uri) next.src = uri;
        } else if (/^data:/i.test(src)) {
          if (SAFE_DATA_IMAGE.test(src)) next.src = src;
        } else if (/^https?:\/\//i.test(src)) {
          if (options.remoteImages) next.src = src;
          else blockedImages += 1;
        }
        return { tagName, attribs: next };
      },
    },
  });
  return { html: cleanStyleBlocks(out), blockedImages };
}

/** Style attributes (decoded values) go through the CSS filter; an empty result drops the attribute. */
function cleanStyleAttribute(tagName: string, attribs: SanitizeHtml.Attributes): SanitizeHtml.Tag {
  if (attribs.style === undefined) return { tagName, attribs };
  const { style, ...rest } = attribs;
  const css = sanitiseCss(style).trim();
  return { tagName, attribs: css ? { ...rest, style: css } : rest };
}

/**
 * sanitize-html passes <style> text through unchanged; in its output every style element is
 * `<style…>raw</style>` (it closes unclosed ones), so the filter runs on exactly what the browser sees.
 */
function cleanStyleBlocks(html: string): string {
  return html.replace(/<style\b[^>]*>([\s\S]*?)<\/style>/gi, (_all, css: string) => {
    const clean = sanitiseCss(css).trim();
    return clean ? `<style>${clean}</style>` : '';
  });
}

/** The whole document the frame loads: our own head, then the sanitised body. */
export function frameDocument(body: string, language: string): string {
  return (
    `<!doctype html><html lang="${language === 'de' ? 'de' : 'en'}"><head><meta charset="utf-8">` +
    '<meta name="referrer" content="no-referrer">' +
    '<style>html{color-scheme:light}body{margin:0;padding:12px;font:15px/1.45 system-ui,sans-serif;color:#1a1a1a;background:#fff;overflow-wrap:anywhere}img{max-width:100%;height:auto}pre{white-space:pre-wrap}</style>' +
    `</head><body>${body}</body></html>`
  );
}

/** The frame's CSP: no scripts at all, a sandbox, images only inline unless the reader allowed remote ones. */
export function frameCsp(remoteImages: boolean): string {
  return [
    "default-src 'none'",
    `img-src data:${remoteImages ? ' https: http:' : ''}`,
    "style-src 'unsafe-inline'",
    'font-src data:',
    "frame-ancestors 'self'",
    "form-action 'none'",
    "base-uri 'none'",
    'sandbox allow-popups allow-popups-to-escape-sandbox',
  ].join('; ');
}
