import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../../src/observability/logger.js';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import type { TestUser } from '../../support/dovecot.js';
import { ALICE, TestClient } from '../../support/http-client.js';
import { generateMessages } from '../../support/mail/generator.js';
import { createTestSync } from '../../support/sync.js';
import { describeWithDovecot } from '../../support/testbed.js';

const PASSWORD = 'Plaintext-Probe-Passw0rd-91';

/** Every form a secret could take on disk or in a log. */
function variants(needle: string): Buffer[] {
  const qp = Buffer.from(needle, 'utf8').toString('latin1').replace(/[^\x21-\x3c\x3e-\x7e]/g, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return [
    Buffer.from(needle, 'utf8'),
    Buffer.from(needle.toLowerCase(), 'utf8'),
    Buffer.from(needle, 'utf16le'),
    Buffer.from(Buffer.from(needle, 'utf8').toString('base64').replace(/=+$/, '')),
    Buffer.from(qp),
  ];
}

function foundIn(haystack: Buffer, needle: string): boolean {
  return variants(needle).some((v) => v.length >= 8 && haystack.includes(v));
}

describeWithDovecot('nothing readable at rest', 'full', (bed) => {
  describeEachDialect('nothing readable at rest', (ctx) => {
    let app: FastifyInstance;
    let user: TestUser;
    const logs: Buffer[] = [];
    let needles: { kind: string; text: string }[] = [];

    beforeAll(async () => {
      user = bed.server.createUser(`plain-${ctx.dialect}`, PASSWORD);
      const messages = [...generateMessages({ seed: 31, count: 120, kinds: ['plain', 'alternative', 'attachment', 'reply', 'newsletter'] })];
      bed.server.fill(user, messages);
      // Needles: 20 subjects, 20 body phrases, the sender addresses, and the IMAP password.
      const sourcesText = Buffer.concat(messages.map((m) => m.source));
      // Subjects that stand literally in the sources (encoded-word and folded ones are covered by the body phrases).
      const subjects = [...new Set(messages.map((m) => m.subject).filter((s) => s.length >= 12 && /^[\x20-\x7e]+$/.test(s) && sourcesText.includes(s)))].slice(0, 20);
      const phrases = new Set<string>();
      for (const m of messages) {
        const body = m.source.toString('latin1').split(/\r?\n\r?\n/).slice(1).join('\n');
        for (const line of body.split(/\r?\n/)) {
          const t = line.trim();
          if (/^[A-Za-z][A-Za-z ,.'-]{24,60}$/.test(t) && phrases.size < 20) phrases.add(t);
        }
      }
      const senders = new Set<string>();
      for (const m of messages) {
        const from = /^From:.*<([^>]+@[^>]+)>/im.exec(m.source.toString('latin1')) ?? /^From:\s*([^\s<>]+@[^\s<>]+)/im.exec(m.source.toString('latin1'));
        if (from) senders.add(from[1]!);
      }
      needles = [
        ...subjects.map((text) => ({ kind: 'subject', text })),
        ...[...phrases].map((text) => ({ kind: 'body', text })),
        ...[...senders].slice(0, 20).map((text) => ({ kind: 'sender', text })),
        { kind: 'password', text: PASSWORD },
      ];
      // Positive control: each content needle is findable in the generated sources with the same search.
      const sources = sourcesText;
      for (const n of needles.filter((n) => n.kind !== 'password')) expect(foundIn(sources, n.text), `${n.kind} in sources`).toBe(true);
      expect(subjects.length).toBe(20);
      expect(phrases.size).toBe(20);

      const sink = new Writable({ write: (chunk, _e, cb) => (logs.push(Buffer.from(chunk)), cb()) });
      const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' }, { logger: createLogger('trace', sink) });
      app = built.app;
      const aliceId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
      const alice = new TestClient(app, '192.0.2.40');
      await alice.login(ALICE.username, ALICE.password);
      const created = await alice.post('/api/accounts', {
        name: 'Probe',
        imap: { host: bed.server.host, port: bed.server.port, security: 'none', user: user.name, password: PASSWORD },
        initialWindow: { sinceDays: 36_500 },
      });
      expect(created.statusCode, created.body).toBe(201);
      const result = await createTestSync({ db: ctx.db, crypto: built.crypto, accounts: built.accounts }).run(aliceId, created.json().id);
      expect(result.stored).toBeGreaterThan(100);
    });
    afterAll(async () => app?.close());

    it('the database files (or dump) and the trace-level logs contain no password, subject, body phrase or sender address', async () => {
      let stored: Buffer;
      if (ctx.dialect === 'sqlite') {
        await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(ctx.db);
        const file = ctx.handle.sqlitePath!;
        stored = Buffer.concat([file, `${file}-wal`, `${file}-shm`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
      } else {
        stored = execFileSync('pg_dump', ['--data-only', ctx.handle.url], { maxBuffer: 512 * 1024 * 1024 });
      }
      expect(stored.length).toBeGreaterThan(10_000);
      const log = Buffer.concat(logs);
      expect(log.length).toBeGreaterThan(0);
      const leaks = needles.filter((n) => foundIn(stored, n.text)).map((n) => `${n.kind} in database`);
      leaks.push(...needles.filter((n) => foundIn(log, n.text)).map((n) => `${n.kind} in logs`));
      expect(leaks).toEqual([]);
    });
  });
});
