import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixC1 } from '../../../src/mail/mime/charsets.js';
import { createParsePool } from '../../../src/mail/mime/parse-pool.js';
import { decodeBase64Stream } from '../../../src/mail/mime/transfer-decode.js';
import { messageIds, parseMessage, type ParsedMessage } from '../../../src/mail/mime/parse.js';
import { generateMessages } from '../../support/mail/index.js';

const HARD = path.resolve(import.meta.dirname, '../../fixtures/hard-cases');
const crlf = (...lines: string[]) => Buffer.from(lines.join('\r\n'));

describe('MIME parsing', () => {
  it('never throws on a hard case and keeps what it could read', async () => {
    for (const f of fs.readdirSync(HARD).filter((x) => x.endsWith('.eml'))) {
      const raw = fs.readFileSync(path.join(HARD, f));
      const p = await parseMessage(raw);
      if (raw.length > 0) expect(p.headers.subject, f).not.toBe('');
      expect(p.warnings).not.toContain('PARSE_FAILED');
    }
    const many = await parseMessage(fs.readFileSync(path.join(HARD, 'many-parts-600.eml')));
    expect(many.attachments).toHaveLength(600);
    const nested = await parseMessage(fs.readFileSync(path.join(HARD, 'nested-message-rfc822.eml')));
    expect(nested.attachments.some((a) => a.contentType === 'message/rfc822')).toBe(true);
  });

  it('decodes chunked input exactly like a single buffer', async () => {
    const m = [...generateMessages({ seed: 4, count: 30 })].find((x) => x.kind === 'attachment')!;
    const chunks = [m.source.subarray(0, 100), m.source.subarray(100, 5000), m.source.subarray(5000)];
    expect(await parseMessage(chunks)).toEqual(await parseMessage(m.source));
  });

  it('maps windows-1252 0x80–0x9F to „ “ € (Node 20 decodes them as C1 controls)', async () => {
    const body = Buffer.concat([crlf('Subject: =?windows-1252?Q?=84Preis=93_=80?=', 'Content-Type: text/plain; charset=windows-1252', '', ''), Buffer.from([0x84, 0x41, 0x93, 0x20, 0x80])]);
    const p = await parseMessage(body);
    expect(p.headers.subject).toBe('„Preis“ €');
    expect(p.text?.trim()).toBe('„A“ €');
    expect(fixC1('plain ä')).toBe('plain ä');
  });

  it('reads raw 8-bit headers as windows-1252 unless they are UTF-8', async () => {
    const latin = Buffer.concat([Buffer.from('Subject: Gr'), Buffer.from([0xfc, 0xdf, 0x65]), Buffer.from('\r\nFrom: a@b.c\r\n\r\nx')]);
    const p = await parseMessage(latin);
    expect(p.headers.subject).toBe('Grüße');
    expect(p.warnings).toContain('RAW_8BIT_HEADER');
    const utf8 = await parseMessage(Buffer.from('Subject: Grüße\r\nFrom: a@b.c\r\n\r\nx'));
    expect(utf8.headers.subject).toBe('Grüße');
    expect(utf8.warnings).not.toContain('RAW_8BIT_HEADER');
  });

  it('repairs what it can of broken encoded words and says so', async () => {
    const cases: Array<[string, string]> = [
      ['=?utf-8?Q?Gr=C3=BC=C3=9Fe=C?=', 'Grüße'], // truncated escape
      ['=?utf-8?Q?Gr=C3=BC=C3=9Fe', 'Grüße'], // no terminator
      ['=?x-nonsense?Q?Gr=C3=BC=C3=9Fe?=', 'Grüße'], // unknown charset, UTF-8 bytes
    ];
    for (const [header, expected] of cases) {
      const p = await parseMessage(crlf(`Subject: ${header}`, 'Date: Tue, 02 Jan 2024 09:00:00 +0000', '', 'x'));
      expect(p.headers.subject, header).toBe(expected);
      expect(p.warnings).toContain('BAD_ENCODED_WORD');
    }
  });

  it('reports structural defects by code', async () => {
    const multi = (ct: string, body: string[]) => crlf('Subject: s', 'Date: Tue, 02 Jan 2024 09:00:00 +0000', 'Message-ID: <m@x>', `Content-Type: ${ct}`, '', ...body);
    expect((await parseMessage(multi('multipart/mixed', ['--b', '', 'x']))).warnings).toEqual(['NO_BOUNDARY']);
    expect((await parseMessage(multi('multipart/mixed; boundary=b', ['--c', '', 'x', '--c--']))).warnings).toEqual(['BROKEN_BOUNDARY']);
    expect((await parseMessage(multi('multipart/mixed; boundary=b', ['--b', '', 'x']))).warnings).toEqual(['UNTERMINATED_BOUNDARY']);
    expect((await parseMessage(multi('multipart/mixed; boundary=b', ['--b', 'Content-Type: text/plain; charset=x-klingon', '', 'x', '--b--']))).warnings).toEqual(['UNKNOWN_CHARSET']);
    expect((await parseMessage(multi('multipart/mixed; boundary=b', ['--b', 'Content-Transfer-Encoding: base64', '', 'QUJD!!', '--b--']))).warnings).toEqual(['BAD_BASE64']);
    expect((await parseMessage(multi('multipart/mixed; boundary=b', ['--b', '', 'x', '--b--']))).warnings).toEqual([]);
    const noDate = await parseMessage(crlf('Subject: s', '', 'x'));
    expect(noDate.warnings).toEqual(expect.arrayContaining(['MISSING_DATE', 'MISSING_MESSAGE_ID']));
    expect(noDate.headers.date).toBeNull();
  });

  it('extracts Message-IDs with or without angle brackets', () => {
    expect(messageIds('<a@x> junk <b@y>')).toEqual(['a@x', 'b@y']);
    expect(messageIds('bare@host')).toEqual(['bare@host']);
    expect(messageIds('')).toEqual([]);
  });

  it('reads only the headers above the size limit and marks the message TOO_LARGE', async () => {
    const raw = crlf('Subject: Big', 'Date: Tue, 02 Jan 2024 09:00:00 +0000', 'Message-ID: <big@x>', '', 'y'.repeat(10_000));
    const p = await parseMessage(raw, { maxBytes: 1000 });
    expect(p).toMatchObject({ headersOnly: true, text: null });
    expect(p.headers.subject).toBe('Big');
    expect(p.warnings).toContain('TOO_LARGE');
  });
});

describe('header signals for the analyser', () => {
  const mail = (...headers: string[]) => crlf('From: a@b.example', 'Subject: x', ...headers, '', 'body');

  it('keeps Precedence, Auto-Submitted, the mailer, bulk markers, priority and the spam flag', async () => {
    const p = await parseMessage(
      mail('Precedence: Bulk', 'Auto-Submitted: auto-generated', 'X-Mailer: Mailchimp Mailer', 'Feedback-ID: 1:2:3', 'X-Campaign: spring', 'X-Priority: 1 (Highest)', 'X-Spam-Flag: YES'),
    );
    expect(p.headers).toMatchObject({
      precedence: 'bulk',
      autoSubmitted: 'auto-generated',
      xMailer: 'Mailchimp Mailer',
      bulkMarkers: ['feedback-id', 'x-campaign'],
      priority: 'high',
      spamFlag: true,
    });
  });

  it('reads other priority forms and leaves absent signals empty', async () => {
    expect((await parseMessage(mail('Importance: low'))).headers.priority).toBe('low');
    expect((await parseMessage(mail('X-Priority: 3'))).headers.priority).toBe('normal');
    expect((await parseMessage(mail('X-Spam-Status: No, score=-1.0'))).headers.spamFlag).toBe(false);
    expect((await parseMessage(mail('User-Agent: Thunderbird 128'))).headers.xMailer).toBe('Thunderbird 128');
    expect((await parseMessage(mail())).headers).toMatchObject({ precedence: null, autoSubmitted: null, xMailer: null, bulkMarkers: [], priority: null, spamFlag: null });
  });
});

describe('parse pool', () => {
  const pool = createParsePool({ thresholdBytes: 16 * 1024, workers: 1 });
  const tiny = createParsePool({ workers: 1 });
  afterAll(() => tiny.close());
  afterAll(() => pool.close());

  it('parses messages from the threshold up on a worker thread with the same result as in-process, many in flight at once, and hands every source back intact', async () => {
    const large = [...generateMessages({ seed: 2, count: 3, sizeMix: { small: 0, medium: 1, large: 0 }, kinds: ['attachment', 'plain'] })];
    const small = [...generateMessages({ seed: 2, count: 2 })];
    const all = [...large, ...small];
    const expected = all.map((m) => Buffer.from(m.source));
    const offloadable = all.filter((m) => m.source.length >= 16 * 1024).length;
    // A Buffer that shares its memory (Node's small-buffer pool) is copied, not moved.
    const pooled = Buffer.from('Subject: pooled\r\n\r\nshort body\r\n');
    const results = await Promise.all([...all.map((m) => pool.parse(m.source)), tiny.parse(pooled)]);
    expect(pool.offloaded).toBe(offloadable);
    expect(pool.offloaded).toBeGreaterThan(1);
    expect(pool.offloaded).toBeLessThan(5);
    for (const [i, bytes] of expected.entries()) {
      expect(results[i]!.source!.equals(bytes)).toBe(true);
      const local = await parseMessage(bytes);
      expect(results[i]!.parsed.headers).toEqual(local.headers);
      const digest = (p: ParsedMessage) => p.attachments.map((a) => ({ size: a.size, source: a.source, content: a.content ? Buffer.from(a.content).toString('base64') : null }));
      expect(digest(results[i]!.parsed)).toEqual(digest(local));
    }
    expect(results.at(-1)!.parsed.headers.subject).toBe('pooled');
    expect(pooled.toString()).toContain('short body');
  });
});

describe('parse pool workers', () => {
  it('parse every hard case and every generated kind exactly as in-process (their Blob is a plain in-memory one)', async () => {
    const sources = [
      ...fs.readdirSync(HARD).filter((f) => f.endsWith('.eml')).sort().map((f) => fs.readFileSync(path.join(HARD, f))),
      ...[...generateMessages({ seed: 11, count: 120 })].map((m) => m.source),
    ];
    const pool = createParsePool({ workers: 1 });
    try {
      const viaWorker = await Promise.all(sources.map((s) => pool.parse(Buffer.from(s))));
      expect(pool.offloaded).toBe(sources.length);
      const comparable = (p: ParsedMessage) => ({ ...p, attachments: p.attachments.map((a) => ({ ...a, content: a.content ? Buffer.from(a.content).toString('base64') : null })) });
      for (const [i, s] of sources.entries()) {
        expect(comparable(viaWorker[i]!.parsed), `message ${i}`).toEqual(comparable(await parseMessage(s)));
      }
    } finally {
      await pool.close();
    }
  });
});

describe('parse pool failures', () => {
  it('fails every message a crashed worker held or was still to get, and never hangs', async () => {
    const pool = createParsePool({ workers: 1, workerUrl: new URL('../../fixtures/workers/crashing-parse-worker.mjs', import.meta.url) });
    try {
      const sources = [...generateMessages({ seed: 3, count: 5 })].map((m) => m.source);
      const settled = await Promise.allSettled(sources.map((s) => pool.parse(s)));
      expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
      expect(String((settled[0] as PromiseRejectedResult).reason)).toContain('worker crashed');
    } finally {
      await pool.close();
    }
  });
});

describe('attachment bodies left in the source', () => {
  it('decodes a base64 body streamed in pieces cut anywhere, line breaks included', async () => {
    const bytes = Buffer.from(Array.from({ length: 301 }, (_, i) => (i * 37) % 256));
    const encoded = Buffer.from(bytes.toString('base64').replace(/.{76}/g, '$&\r\n'), 'latin1');
    for (const cuts of [[1], [2, 3], [77, 78, 79], [100, 200, 300], [encoded.length - 1]]) {
      const pieces = [0, ...cuts, encoded.length].slice(1).map((end, i, all) => encoded.subarray(i === 0 ? 0 : all[i - 1], end));
      const out: Buffer[] = [];
      for await (const b of decodeBase64Stream((async function* () { yield* pieces; })())) out.push(b);
      expect(Buffer.concat(out).equals(bytes), `cuts ${cuts.join(',')}`).toBe(true);
    }
  });

  it('leaves out large base64 attachments, reports their range and decoded size, and never touches nested messages', async () => {
    const data = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7) % 256));
    const b64 = data.toString('base64').replace(/.{76}/g, '$&\r\n');
    const nested = ['Content-Type: message/rfc822', '', 'Subject: inner', 'Content-Type: multipart/mixed; boundary="in"', '', '--in', 'Content-Type: text/plain', '', 'inner text', '--in', 'Content-Type: application/pdf', 'Content-Transfer-Encoding: base64', '', b64, '--in--'].join('\r\n');
    const raw = Buffer.from(
      ['Subject: outer', 'Message-ID: <a@b>', 'Date: Mon, 1 Jan 2024 10:00:00 +0000', 'Content-Type: multipart/mixed; boundary="out"', '', '--out', 'Content-Type: text/plain', '', 'hello', '--out', 'Content-Type: application/pdf; name="a.pdf"', 'Content-Disposition: attachment; filename="a.pdf"', 'Content-Transfer-Encoding: base64', '', b64, '--out', nested, '--out--', ''].join('\r\n'),
    );
    const p = await parseMessage(raw);
    expect(p.text?.trim()).toBe('hello');
    const pdf = p.attachments.find((a) => a.filename === 'a.pdf')!;
    expect(pdf).toMatchObject({ size: 4000, content: null, source: { encoding: 'base64' } });
    expect(raw.toString('latin1', pdf.source!.start, pdf.source!.end)).toBe(b64);
    const inner = p.attachments.find((a) => a.contentType === 'message/rfc822')!;
    expect(inner.source).toBeNull();
    expect(Buffer.from(inner.content!).toString('latin1').replace(/\s/g, '')).toContain(b64.replace(/\s/g, ''));
  });
});
