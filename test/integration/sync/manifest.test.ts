import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserCipher } from '../../../src/crypto/crypto.js';
import { createMessageReader, type MessageEnvelope, type MessageReader } from '../../../src/services/messages/message-reader.js';
import { CONTEXT } from '../../../src/services/sync/message-identity.js';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import type { TestUser } from '../../support/dovecot.js';
import { ALICE, TestClient } from '../../support/http-client.js';
import type { MaildirEntry } from '../../support/mail/maildir.js';
import { collect, isUnrecoverable } from '../../support/mail-store.js';
import { createTestSync } from '../../support/sync.js';
import { describeWithDovecot } from '../../support/testbed.js';

/**
 * Issue 9.6: a generated mailbox of a few thousand messages in several folders, synced through the
 * production account sync, equals the generator's manifest message by message.
 */
const COUNT = 2000;
const PASSWORD = 'manifest-imap-password';
const NOT_SYNCED_BY_DEFAULT = /^(trash|junk|spam)$/i;

interface StoredCopy {
  id: string;
  folder: string;
  uid: number;
  flags: string;
  messageId: string;
  subject: string;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  copyCount: number;
}

for (const profile of ['full', 'plain'] as const) {
  describeWithDovecot('sync of a generated mailbox against its manifest', profile, (bed) => {
    describeEachDialect('sync of a generated mailbox against its manifest', (ctx) => {
      let app: FastifyInstance;
      let user: TestUser;
      let entries: MaildirEntry[];
      let expected: MaildirEntry[];
      let userId: string;
      let accountId: string;
      let cipher: UserCipher;
      let reader: MessageReader;
      let copies: StoredCopy[];
      let stored: number;

      beforeAll(async () => {
        user = bed.server.createUser(`manifest-${ctx.dialect}`, PASSWORD);
        entries = bed.server.fillGenerated(user, { seed: 21, count: COUNT });
        expected = entries.filter((e) => !NOT_SYNCED_BY_DEFAULT.test(e.folder));
        const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' });
        app = built.app;
        userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
        const alice = new TestClient(app, '192.0.2.31');
        await alice.login(ALICE.username, ALICE.password);
        const created = await alice.post('/api/accounts', {
          name: 'Manifest',
          imap: { host: bed.server.host, port: bed.server.port, security: 'none', user: user.name, password: PASSWORD },
          initialWindow: { sinceDays: 36_500 },
        });
        expect(created.statusCode, created.body).toBe(201);
        accountId = created.json().id;
        const result = await createTestSync({ db: ctx.db, crypto: built.crypto, accounts: built.accounts, batchSize: 50 }).run(userId, accountId);
        expect(result.foldersFailed).toBe(0);
        stored = result.stored;
        cipher = await built.crypto.forUser(userId);
        reader = createMessageReader({ db: ctx.db, crypto: built.crypto });
        copies = await readCopies();
      }, 120_000);
      afterAll(async () => {
        await app?.close();
      });

      /** Every stored copy with its folder path, and its message's decoded envelope and flags. */
      async function readCopies(): Promise<StoredCopy[]> {
        const folders = await ctx.db.selectFrom('folders').select(['id', 'path']).where('account_id', '=', accountId).execute();
        const pathOf = new Map(folders.map((f) => [f.id, cipher.openText('folder.path.v1', f.id, f.path)]));
        const rows = await ctx.db
          .selectFrom('message_copies as c')
          .innerJoin('messages as m', 'm.id', 'c.message_id')
          .select(['c.folder_id', 'c.uid', 'c.flags', 'm.id', 'm.envelope', 'm.is_seen', 'm.is_flagged', 'm.is_answered', 'm.copy_count'])
          .where('c.account_id', '=', accountId)
          .execute();
        return rows.map((r) => {
          const env = JSON.parse(cipher.openText(CONTEXT.envelope, r.id, r.envelope)) as MessageEnvelope;
          return {
            folder: pathOf.get(r.folder_id)!,
            uid: r.uid,
            flags: r.flags,
            messageId: `<${env.messageId}>`,
            subject: env.subject,
            seen: r.is_seen === 1,
            flagged: r.is_flagged === 1,
            answered: r.is_answered === 1,
            copyCount: r.copy_count,
            id: r.id,
          };
        });
      }

      it('holds every message of every synced folder once, by Message-ID, and nothing else', async () => {
        expect(new Set(entries.map((e) => e.folder)).size).toBeGreaterThanOrEqual(4);
        expect(stored).toBe(expected.length);
        expect(copies.length).toBe(expected.length);
        const byFolder = (list: Array<{ folder: string; messageId: string }>) => {
          const out = new Map<string, string[]>();
          for (const x of list) out.set(x.folder, [...(out.get(x.folder) ?? []), x.messageId]);
          for (const ids of out.values()) ids.sort();
          return Object.fromEntries([...out].sort(([a], [b]) => a.localeCompare(b)));
        };
        expect(byFolder(copies)).toEqual(byFolder(expected));
        // No duplicate copies (folder, UID) and no duplicate messages: one message per Message-ID.
        expect(new Set(copies.map((c) => `${c.folder}\n${c.uid}`)).size).toBe(copies.length);
        const messages = await ctx.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
        expect(Number(messages.n)).toBe(new Set(expected.map((e) => e.messageId)).size);
        expect(copies.every((c) => c.copyCount === 1)).toBe(true);
      });

      it('shows the decoded subject of the manifest (malformed kinds as the store tests allow)', () => {
        const byId = new Map(copies.map((c) => [c.messageId, c]));
        const kinds = new Set<string>();
        let skipped = 0;
        for (const e of expected) {
          if (isUnrecoverable(e, user.maildir)) {
            skipped++;
            continue;
          }
          expect(byId.get(e.messageId)?.subject, `${e.kind} #${e.index}`).toBe(e.subject);
          kinds.add(e.kind);
        }
        expect(skipped).toBeLessThan(expected.length / 100);
        for (const k of ['charset-cp1252', 'charset-koi8r', 'subject-q', 'subject-b', 'malformed-8bit-header', 'malformed-unknown-charset']) expect(kinds).toContain(k);
      });

      it('carries the flags of the manifest on each copy and on its message', () => {
        const byId = new Map(copies.map((c) => [c.messageId, c]));
        for (const e of expected) {
          const c = byId.get(e.messageId)!;
          expect(c.flags, `#${e.index}`).toBe([...e.flags].sort().join(' '));
          expect({ seen: c.seen, flagged: c.flagged, answered: c.answered }, `#${e.index}`).toEqual({
            seen: e.flags.includes('\\Seen'),
            flagged: e.flags.includes('\\Flagged'),
            answered: e.flags.includes('\\Answered'),
          });
        }
        // Both states occur, so the comparison means something.
        expect(new Set(copies.map((c) => c.seen)).size).toBe(2);
        expect(copies.some((c) => c.flagged)).toBe(true);
      });

      it('gives back every source byte for byte (SHA-256 of the manifest)', async () => {
        const byId = new Map(copies.map((c) => [c.messageId, c.id]));
        for (const e of expected) {
          const { chunks } = await reader.openSource(userId, byId.get(e.messageId)!);
          const { data } = await collect(chunks);
          expect(createHash('sha256').update(data).digest('hex'), `${e.kind} #${e.index}`).toBe(e.sha256);
        }
      });
    });
  });
}
