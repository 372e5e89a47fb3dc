import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { describeWithDovecot } from '../../support/testbed.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const dir = path.join(import.meta.dirname, '../../fixtures/hard-cases');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
const index = new Map(
  fs
    .readFileSync(path.join(dir, 'INDEX.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t') as [string, string]),
);

describe('hand-written hard cases', () => {
  it('are at least 30, each described by one line in INDEX.tsv', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect([...index.keys()].sort()).toEqual(files);
    for (const f of files) expect(index.get(f)!.length, f).toBeGreaterThan(10);
  });

  it('keep their raw bytes (CRLF, bare CR, NUL) as committed', () => {
    const read = (f: string) => fs.readFileSync(path.join(dir, f));
    expect(read('bare-cr.eml').includes('one\rold')).toBe(true);
    expect(read('lf-only.eml').includes('\r')).toBe(false);
    expect(read('nul-bytes.eml').includes(0)).toBe(true);
    expect(read('empty.eml').length).toBe(0);
  });

  it('each parses with postal-mime without throwing', async () => {
    for (const f of files) {
      const parsed = await PostalMime.parse(fs.readFileSync(path.join(dir, f))).then(() => 'ok', (e: Error) => `threw ${e.message}`);
      expect(parsed, f).toBe('ok');
    }
  });
});

describeWithDovecot('hard cases through Dovecot', 'full', (ctx) => {
  it('are stored and served back by the test bed (bare LF → CRLF, NUL → 0x80, all else byte for byte)', async () => {
    const user = ctx.server.createUser('hard');
    const nonEmpty = files.filter((f) => fs.statSync(path.join(dir, f)).size > 0);
    ctx.server.fillRaw(user, 'Hard', nonEmpty.map((f) => fs.readFileSync(path.join(dir, f))), ['\\Seen']);
    const client = await ctx.server.connect(user);
    try {
      const lock = await client.getMailboxLock('Hard');
      try {
        const served: string[] = [];
        for await (const m of client.fetch('1:*', { source: true })) served.push(sha(m.source!));
        // IMAP sends CRLF line ends, so Dovecot turns each bare LF into CRLF, and (outside BINARY
        // fetches) each NUL into 0x80; everything else comes back untouched.
        const onWire = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/(?<!\r)\n/g, '\r\n').replace(/\0/g, '\x80'), 'latin1');
        const expected = nonEmpty.map((f) => sha(onWire(fs.readFileSync(path.join(dir, f)))));
        expect(served.sort()).toEqual(expected.sort());
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });
});
