import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailGenerator, generateMaildir, generateMessages, MALFORMED_KINDS, MESSAGE_KINDS, type GeneratedMessage } from '../../support/mail/index.js';

const sample: GeneratedMessage[] = [...generateMessages({ seed: 42, count: 1000 })];
type Parsed = Awaited<ReturnType<typeof PostalMime.parse>>;
const parsed = new Map<number, Parsed | Error>();

beforeAll(async () => {
  for (const m of sample) parsed.set(m.index, await PostalMime.parse(m.source).catch((e: Error) => e));
});

// Node 20's TextDecoder reads windows-1252 0x80–0x9F as C1 controls (a known Node bug), so a
// decoder built on it shows „ as U+0084; compare through the real cp1252 mapping instead.
const c1ToCp1252 = (s: string) =>
  s.replace(/[\u0080-\u009f]/g, (c) => '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ'[c.charCodeAt(0) - 0x80]!);

describe('mail generator', () => {
  it('is deterministic: the same seed gives the same bytes, another seed other bytes', () => {
    const again = [...generateMessages({ seed: 42, count: 200 })];
    expect(again.map((m) => m.sha256)).toEqual(sample.slice(0, 200).map((m) => m.sha256));
    const other = [...generateMessages({ seed: 43, count: 200 })];
    const same = other.filter((m, i) => m.sha256 === sample[i]!.sha256).length;
    expect(same).toBe(0);
  });

  it('renders any index alone exactly as in sequence (so a corpus sample can be checked)', () => {
    const gen = createMailGenerator({ seed: 42 });
    for (const i of [999, 3, 517, 0]) expect(gen.render(i).sha256).toBe(sample[i]!.sha256);
  });

  it('has every kind in a 1,000-message sample, malformed ones marked as such', () => {
    expect(new Set(sample.map((m) => m.kind))).toEqual(new Set(MESSAGE_KINDS));
    for (const m of sample) expect(m.malformed).toBe((MALFORMED_KINDS as readonly string[]).includes(m.kind));
  });

  it('every well-formed message parses with postal-mime to the manifest’s Message-ID and subject', () => {
    for (const m of sample.filter((x) => !x.malformed)) {
      const p = parsed.get(m.index)!;
      expect(p, `${m.kind} #${m.index}`).not.toBeInstanceOf(Error);
      const mail = p as Parsed;
      expect(mail.messageId).toBe(m.messageId);
      expect(c1ToCp1252(mail.subject ?? '')).toBe(m.subject);
    }
  });

  it('breaks each malformed kind in the way its name says', () => {
    const head = (m: GeneratedMessage) => m.source.subarray(0, m.source.indexOf('\r\n\r\n'));
    const checks: Record<(typeof MALFORMED_KINDS)[number], (m: GeneratedMessage) => boolean> = {
      'malformed-broken-boundary': (m) => {
        const b = /boundary="([^"]+)"/.exec(m.source.toString('latin1'))![1]!;
        return !m.source.includes(`--${b}\r\n`);
      },
      'malformed-unterminated-boundary': (m) => {
        const b = /boundary="([^"]+)"/.exec(m.source.toString('latin1'))![1]!;
        return m.source.includes(`--${b}\r\n`) && !m.source.includes(`--${b}--`);
      },
      'malformed-multipart-no-boundary': (m) => /^Content-Type: multipart\/alternative\r\n(?!\s+boundary)/m.test(m.source.toString('latin1')),
      'malformed-missing-date': (m) => !/^Date:/m.test(head(m).toString('latin1')),
      'malformed-8bit-header': (m) => head(m).some((b) => b >= 0x80),
      'malformed-bad-encoded-word': (m) => {
        const subject = /^Subject: (.*)$/m.exec(m.source.toString('latin1'))![1]!;
        const b = /^=\?utf-8\?B\?([^?]*)\?=$/.exec(subject);
        return b ? b[1]!.length % 4 === 1 : /=C\?=$|^=\?x-nonsense\?|^=\?utf-8\?Q\?[^?]*$/.test(subject);
      },
      'malformed-bad-base64': (m) => m.source.includes('!!**'),
      'malformed-unknown-charset': (m) => m.source.includes('charset="x-mac-klingon"'),
    };
    for (const m of sample.filter((x) => x.malformed)) expect(checks[m.kind as keyof typeof checks](m), `${m.kind} #${m.index}`).toBe(true);
  });

  it('writes the structures each kind promises', () => {
    const byKind = (k: string) => sample.filter((m) => m.kind === k).map((m) => ({ m, p: parsed.get(m.index) as Parsed }));
    for (const { p } of byKind('attachment')) {
      expect(p.attachments.some((a) => a.mimeType === 'application/pdf' && Buffer.from(a.content as ArrayBuffer).subarray(0, 5).toString() === '%PDF-')).toBe(true);
    }
    expect(byKind('attachment').some(({ p }) => p.attachments.some((a) => /[äöüÄÖÜß]/.test(a.filename ?? '')))).toBe(true);
    for (const { p } of byKind('inline-image')) {
      const images = p.attachments.filter((a) => a.mimeType === 'image/png');
      expect(images.length).toBeGreaterThan(0);
      for (const img of images) {
        expect(p.html).toContain(`cid:${img.contentId!.replace(/[<>]/g, '')}`);
        expect(validPng(Buffer.from(img.content as ArrayBuffer))).toBe(true);
      }
    }
    for (const { m, p } of byKind('newsletter')) {
      const h = (name: string) => p.headers.find((x) => x.key === name)?.value;
      expect(h('list-unsubscribe')).toMatch(/<https:\/\/.+>, ?<mailto:.+>/);
      expect(h('list-id')).toBeTruthy();
      expect(h('precedence')).toBe('bulk');
      if (h('list-unsubscribe-post')) expect(h('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      expect(m.folder === 'Newsletter' || m.folder !== 'Sent').toBe(true);
    }
    expect(byKind('newsletter').some(({ p }) => p.headers.some((x) => x.key === 'list-unsubscribe-post'))).toBe(true);
    for (const [kind, method] of [['calendar-request', 'REQUEST'], ['calendar-cancel', 'CANCEL']] as const) {
      for (const { m } of byKind(kind)) expect(m.source.toString()).toMatch(new RegExp(`text/calendar; charset="utf-8"; method=${method}[\\s\\S]*METHOD:${method}`));
    }
    const ids = new Set(sample.map((m) => m.messageId));
    const replies = byKind('reply');
    expect(replies.filter(({ p }) => ids.has(p.inReplyTo ?? '')).length).toBeGreaterThan(replies.length / 2);
    expect(replies.some(({ p }) => (p.references ?? '').split(/\s+/).length >= 2)).toBe(true);
    for (const [kind, charset, text] of [['charset-latin1', 'iso-8859-1', /[äöüß]/], ['charset-cp1252', 'windows-1252', /€/], ['charset-koi8r', 'koi8-r', /[а-я]/]] as const) {
      for (const { m, p } of byKind(kind)) {
        expect(m.source.toString('latin1')).toContain(`charset="${charset}"`);
        expect(c1ToCp1252(p.text ?? ''), `${kind} #${m.index}`).toMatch(text);
      }
    }
    for (const [kind, enc] of [['subject-q', '?Q?'], ['subject-b', '?B?']] as const) {
      for (const { m } of byKind(kind)) expect(m.source.toString('latin1')).toMatch(new RegExp(`^Subject: =\\?utf-8\\${enc}`, 'm'));
    }
  });

  it('mixes flags with a share unseen', () => {
    const share = (pred: (m: GeneratedMessage) => boolean) => sample.filter(pred).length / sample.length;
    expect(share((m) => !m.flags.includes('\\Seen'))).toBeGreaterThan(0.15);
    expect(share((m) => !m.flags.includes('\\Seen'))).toBeLessThan(0.4);
    expect(share((m) => m.flags.includes('\\Answered'))).toBeGreaterThan(0.03);
    expect(share((m) => m.flags.includes('\\Flagged'))).toBeGreaterThan(0.03);
  });
});

describe('Maildir writer', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-maildir-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('writes Maildir++ files whose names carry size and flags, and a manifest that matches the files', () => {
    const manifest = generateMaildir(root, { seed: 5, count: 150 });
    const onDisk = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8'));
    expect(onDisk.messages).toHaveLength(150);
    expect(onDisk.generator.seed).toBe(5);
    for (const e of manifest.messages) {
      const bytes = fs.readFileSync(path.join(root, e.file));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(e.sha256);
      expect(e.file).toContain(`,S=${bytes.length}`);
      const info = /:2,([A-Z]*)$/.exec(e.file);
      if (!info) {
        expect(e.file).toMatch(/(^|\/)new\//);
        expect(e.flags).toEqual([]);
      } else {
        const letters = e.flags.map((f) => ({ '\\Flagged': 'F', '\\Answered': 'R', '\\Seen': 'S' })[f]).sort().join('');
        expect(info[1]).toBe(letters);
      }
    }
    expect(manifest.messages.some((e) => e.file.startsWith('new/'))).toBe(true);
    expect(manifest.messages.some((e) => /:2,FS$|:2,FRS$/.test(e.file))).toBe(true);
    expect(fs.existsSync(path.join(root, '.Gesch&AOQ-ftlich', 'maildirfolder'))).toBe(true);
  });
});

/** Signature, chunk CRCs, and an IDAT that inflates to the size IHDR promises. */
function validPng(buf: Buffer): boolean {
  if (!buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return false;
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('ascii', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if ((zlib.crc32(buf.subarray(off + 4, off + 8 + len)) >>> 0) !== buf.readUInt32BE(off + 8 + len)) return false;
    if (type === 'IHDR') [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
    if (type === 'IEND') break;
  }
  return zlib.inflateSync(Buffer.concat(idat)).length === (width * 3 + 1) * height;
}
