import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { CATEGORIES } from '../../ai/types.js';
import type { AnalysisService } from '../../services/analysis/analysis-service.js';
import { frameCsp } from '../../mail/mime/sanitise-html.js';
import type { MailHtml } from '../../services/messages/mail-html.js';
import type { MessageReader, MessageSummary } from '../../services/messages/message-reader.js';
import { viewerOf } from '../plugins/auth.js';
import { parseInput } from '../validation.js';
import { anyObject, apiDoc, pageOf } from '../api-docs.js';

/** A yes/no filter: absent means either. */
const flag = z
  .enum(['1', '0', 'true', 'false'])
  .transform((v) => v === '1' || v === 'true')
  .optional();
/** A calendar day (UTC) as YYYY-MM-DD, or ms since the epoch; `endOfDay` moves a day to the start of the next. */
const day = (endOfDay: boolean) =>
  z
    .string()
    .regex(/^(\d{4}-\d{2}-\d{2}|\d{1,15})$/)
    .transform((v) => (v.includes('-') ? Date.parse(`${v}T00:00:00Z`) + (endOfDay ? 86_400_000 : 0) : Number(v)))
    .refine((v) => Number.isFinite(v), 'not a date')
    .optional();

const listQuery = z.object({
  account: z.string().uuid().optional(),
  folderId: z.string().uuid().optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cell: z
    .string()
    .regex(/^[1-3],[1-3]$/)
    .transform((v) => ({ urgency: Number(v[0]), importance: Number(v[2]) }))
    .optional(),
  colour: z.enum(['red', 'yellow', 'green']).optional(),
  category: z.enum(CATEGORIES).optional(),
  sort: z.enum(['date', 'score']).optional(),
  unread: flag,
  flagged: flag,
  done: flag,
  attachments: flag,
  calendar: flag,
  since: day(false),
  until: day(true),
  tag: z.string().uuid().optional(),
});
const dashboardQuery = z.object({ account: z.string().uuid().optional() });
const level = z.union([z.literal(1), z.literal(2), z.literal(3)]);
const correctionBody = z
  .object({
    urgency: level.optional(),
    importance: level.optional(),
    category: z.enum(CATEGORIES).optional(),
    spam: z.boolean().optional(),
    // The message's tags after the correction (ids of the user's tags); [] removes them all.
    tags: z.array(z.string().uuid()).max(50).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give at least one of urgency, importance, category, spam, tags');
const idParams = z.object({ id: z.string().uuid() });
const renderQuery = z.object({ images: z.enum(['0', '1']).optional(), lang: z.enum(['de', 'en']).optional() });
const attachmentParams = idParams.extend({ index: z.coerce.number().int().min(0).max(100_000) });

/** The API's message summary, with its effective analysis (null until analysed). */
export function toSummary(m: MessageSummary) {
  return {
    id: m.id,
    accountId: m.accountId,
    folder: m.folderIds[0] ?? null,
    folderIds: m.folderIds,
    threadId: m.threadId,
    from: m.from,
    subject: m.subject,
    snippet: m.snippet,
    date: m.date,
    size: m.size,
    unread: m.unread,
    flagged: m.flagged,
    answered: m.answered,
    done: m.done,
    hasAttachments: m.hasAttachments,
    isNewsletter: m.isNewsletter,
    isCalendar: m.isCalendar,
    tags: m.tags,
    pendingSync: m.pendingSync,
    syncError: m.syncError,
    hasCalendar: m.isCalendar,
    analysis: m.analysis,
  };
}

/** Downloads are never rendered by the browser: attachment disposition, no sniffing, a sandbox CSP. */
function asDownload(reply: FastifyReply, contentType: string, filename: string, size: number): FastifyReply {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return reply
    .header('content-type', contentType)
    .header('content-length', String(size))
    .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "sandbox; default-src 'none'")
    .header('cache-control', 'private, no-store');
}

/** A safe MIME type to send: the declared one if it is well-formed, else a neutral binary type. */
function safeContentType(declared: string): string {
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i.test(declared) ? declared.toLowerCase() : 'application/octet-stream';
}

/** Messages as stored by the sync: lists count messages, not copies. */
export const messageRoutes: FastifyPluginAsync<{ reader: MessageReader; analysis: AnalysisService; mailHtml: MailHtml }> = async (
  app,
  { reader, analysis, mailHtml },
) => {
  app.get('/messages', apiDoc({ summary: 'Messages, newest first or by score, with filters; cursor-paged', query: listQuery, response: { 200: pageOf } }), async (req) => {
    const q = parseInput(listQuery, req.query);
    const page = await reader.listMessages(viewerOf(req).id, {
      accountId: q.account,
      folderId: q.folderId,
      cursor: q.cursor ?? null,
      limit: q.limit,
      cell: q.cell,
      colour: q.colour,
      category: q.category,
      sort: q.sort,
      unread: q.unread,
      flagged: q.flagged,
      done: q.done,
      hasAttachments: q.attachments,
      calendar: q.calendar,
      since: q.since,
      until: q.until,
      tagId: q.tag,
    });
    return { items: page.items.map(toSummary), nextCursor: page.nextCursor };
  });

  app.get('/threads/:id', apiDoc({ summary: 'A thread’s messages, oldest first', params: idParams, response: { 200: z.object({ id: z.string(), items: z.array(anyObject) }) } }), async (req) => {
    const { id } = parseInput(idParams, req.params);
    const thread = await reader.getThread(viewerOf(req).id, id);
    return { id: thread.id, items: thread.messages.map(toSummary) };
  });

  app.get('/messages/:id', apiDoc({ summary: 'One message: headers, text, sanitised HTML, attachments, copies, analysis', params: idParams, response: { 200: anyObject } }), async (req) => {
    const { id } = parseInput(idParams, req.params);
    const m = await reader.getMessage(viewerOf(req).id, id);
    const body = mailHtml.preview(m);
    return {
      id: m.id,
      accountId: m.accountId,
      threadId: m.threadId,
      folderIds: m.folderIds,
      date: m.date,
      size: m.size,
      headers: m.headers,
      text: m.text,
      // Raw mail HTML is only ever served sanitised; the frame loads /render with its own CSP.
      hasHtml: m.html !== null,
      html: body?.html ?? null,
      remoteImages: body?.blockedImages ?? 0,
      calendar: m.calendar,
      attachments: m.attachments,
      flags: { unread: m.unread, flagged: m.flagged, answered: m.answered },
      done: m.done,
      tags: m.tags,
      pendingSync: m.pendingSync,
      syncError: m.syncError,
      copies: m.copies,
      parseWarnings: m.parseWarnings,
      sourceAvailable: m.sourceAvailable,
      analysis: await analysis.analysisOf(viewerOf(req).id, id),
    };
  });

  app.get('/dashboard', apiDoc({ summary: 'The 3×3 priority matrix: counts and top messages per cell', query: dashboardQuery, response: { 200: z.object({ cells: z.array(anyObject) }) } }), async (req) => {
    const q = parseInput(dashboardQuery, req.query);
    const { cells } = await analysis.dashboard(viewerOf(req).id, q.account);
    return { cells: cells.map((c) => ({ ...c, top: c.top.map(toSummary) })) };
  });

  app.post('/messages/:id/correction', apiDoc({ summary: 'The user corrects the analysis (the source of truth for learning)', params: idParams, body: correctionBody, response: { 200: z.object({ analysis: anyObject, tags: z.array(anyObject) }) } }), async (req) => {
    const { id } = parseInput(idParams, req.params);
    const body = parseInput(correctionBody, req.body ?? {});
    const result = await analysis.correct(viewerOf(req).id, id, body);
    return { analysis: result, tags: await analysis.tagsOf(viewerOf(req).id, id) };
  });

  app.get('/messages/:id/source', apiDoc({ summary: 'The raw message (message/rfc822 download)', params: idParams, response: { 200: 'message/rfc822 attachment' } }), async (req, reply) => {
    const { id } = parseInput(idParams, req.params);
    const source = await reader.openSource(viewerOf(req).id, id);
    return asDownload(reply, 'message/rfc822', `${id}.eml`, source.size).send(Readable.from(source.chunks));
  });

  app.get('/messages/:id/render', apiDoc({ summary: 'The sanitised mail HTML as a document for the sandboxed frame', params: idParams, query: renderQuery, response: { 200: 'text/html with its own CSP' } }), async (req, reply) => {
    const { id } = parseInput(idParams, req.params);
    const q = parseInput(renderQuery, req.query);
    const remoteImages = q.images === '1';
    const doc = await mailHtml.render(viewerOf(req).id, id, remoteImages, q.lang ?? 'en');
    // Its own CSP replaces the app's: no scripts, a sandbox, and framing by the app only.
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', frameCsp(remoteImages))
      .header('x-frame-options', 'SAMEORIGIN')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'private, no-store')
      .send(doc);
  });

  app.get('/messages/:id/attachments/:index', apiDoc({ summary: 'One attachment (download)', params: attachmentParams, response: { 200: 'the attachment, as a download' } }), async (req, reply) => {
    const { id, index } = parseInput(attachmentParams, req.params);
    const att = await reader.openAttachment(viewerOf(req).id, id, index);
    const name = att.info.filename ?? `attachment-${index}`;
    return asDownload(reply, safeContentType(att.info.contentType), name, att.info.size).send(Readable.from(att.chunks));
  });
};
