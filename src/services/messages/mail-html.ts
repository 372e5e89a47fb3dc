import { frameDocument, INLINE_IMAGE_TYPES, sanitiseMailHtml, type SanitisedHtml } from '../../mail/mime/sanitise-html.js';
import type { MessageDetail, MessageReader } from './message-reader.js';

/** Inline images larger than this, or beyond the total, stay out of the frame (their alt text shows). */
const MAX_INLINE_IMAGE = 2 * 1024 * 1024;
const MAX_INLINE_TOTAL = 8 * 1024 * 1024;

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The message frame's document. Inline (cid:) images are embedded as data: URIs rather than served
 * from a URL: the frame is sandboxed without same-origin, so it could not send the session cookie.
 */
export function createMailHtml(deps: { reader: Pick<MessageReader, 'getMessage' | 'openAttachment'> }) {
  const { reader } = deps;

  async function inlineImages(userId: string, message: MessageDetail): Promise<Map<string, string>> {
    const images = new Map<string, string>();
    let total = 0;
    for (const a of message.attachments) {
      if (!a.contentId || !(INLINE_IMAGE_TYPES as readonly string[]).includes(a.contentType.toLowerCase())) continue;
      if (a.size > MAX_INLINE_IMAGE || total + a.size > MAX_INLINE_TOTAL) continue;
      const { chunks } = await reader.openAttachment(userId, message.id, a.index);
      const parts: Buffer[] = [];
      for await (const c of chunks) parts.push(c);
      total += a.size;
      images.set(a.contentId, `data:${a.contentType.toLowerCase()};base64,${Buffer.concat(parts).toString('base64')}`);
    }
    return images;
  }

  /** The body for the detail API: sanitised, remote images held back, inline images left out. */
  function preview(message: Pick<MessageDetail, 'html'>): SanitisedHtml | null {
    return message.html === null ? null : sanitiseMailHtml(message.html, { remoteImages: false });
  }

  /** The frame's whole HTML document; a text-only message shows as preformatted text. */
  async function render(userId: string, messageId: string, remoteImages: boolean, language: string): Promise<string> {
    const message = await reader.getMessage(userId, messageId);
    if (message.html === null) return frameDocument(`<pre>${escapeText(message.text ?? '')}</pre>`, language);
    const { html } = sanitiseMailHtml(message.html, { remoteImages, inlineImages: await inlineImages(userId, message) });
    return frameDocument(html, language);
  }

  return { preview, render };
}

export type MailHtml = ReturnType<typeof createMailHtml>;
