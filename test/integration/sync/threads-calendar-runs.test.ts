import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import type { TestUser } from '../../support/dovecot.js';
import { ALICE, TestClient } from '../../support/http-client.js';
import { generateMessages } from '../../support/mail/index.js';
import type { MaildirEntry } from '../../support/mail/maildir.js';
import { createTestSync } from '../../support/sync.js';
import { describeWithDovecot } from '../../support/testbed.js';

const PASSWORD = 'threads-imap-password';
const SEED = 17;

interface Summary {
  id: string;
  threadId: string | null;
  date: number;
  folderIds: string[];
  hasCalendar: boolean;
}
interface Detail extends Summary {
  headers: { messageId: string | null; inReplyTo: string[] };
  calendar: null | {
    method: string | null;
    summary: string | null;
    location: string | null;
    start: { at: string | null; timeZone: string | null };
    end: { at: string | null };
    organizer: { address: string | null } | null;
    attendees: { address: string | null }[];
  };
}
interface FolderRun {
  folderId: string;
  path: string | null;
  strategy: string;
  new: number;
  changed: number;
  deleted: number;
  durationMs: number;
  error: string | null;
}

for (const profile of ['full', 'plain'] as const) {
  describeWithDovecot('threads, calendar invitations and run records over real syncs', profile, (bed) => {
    describeEachDialect('threads, calendar invitations and run records', (ctx) => {
      let app: FastifyInstance;
      let user: TestUser;
      let userId: string;
      let accountId: string;
      let sync: ReturnType<typeof createTestSync>;
      let alice: TestClient;
      let later: MaildirEntry[];
      let earlier: MaildirEntry[];

      beforeAll(async () => {
        user = bed.server.createUser(`threads-${profile}-${ctx.dialect}`, PASSWORD);
        // The later half of a generated mailbox first: many replies arrive before their parents.
        later = bed.server.fillGenerated(user, { seed: SEED, start: 90, count: 90 });
        const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' });
        app = built.app;
        userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
        alice = new TestClient(app, '192.0.2.31');
        await alice.login(ALICE.username, ALICE.password);
        const created = await alice.post('/api/accounts', {
          name: 'Threads',
          imap: { host: bed.server.host, port: bed.server.port, security: 'none', user: user.name, password: PASSWORD },
          initialWindow: { sinceDays: 36_500 },
        });
        expect(created.statusCode, created.body).toBe(201);
        accountId = created.json().id;
        sync = createTestSync({ db: ctx.db, crypto: built.crypto, accounts: built.accounts });
        await sync.run(userId, accountId);
        earlier = bed.server.fillGenerated(user, { seed: SEED, start: 0, count: 90 });
        await sync.run(userId, accountId);
      });
      afterAll(async () => app?.close());

      async function allMessages(query = ''): Promise<Summary[]> {
        const out: Summary[] = [];
        let cursor: string | null = null;
        do {
          const page = (await alice.get(`/api/messages?account=${accountId}&limit=200${query}${cursor ? `&cursor=${cursor}` : ''}`)).json() as { items: Summary[]; nextCursor: string | null };
          out.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        return out;
      }

      it('threads replies with their parents across runs, folders and arrival order', async () => {
        const summaries = await allMessages();
        const details = await Promise.all(summaries.map(async (s) => (await alice.get(`/api/messages/${s.id}`)).json() as Detail));
        const byMessageId = new Map(details.filter((d) => d.headers.messageId).map((d) => [d.headers.messageId!, d]));
        const indexOf = new Map([...later, ...earlier].map((e) => [e.messageId.replace(/^<|>$/g, ''), e.index]));
        let pairs = 0;
        let parentLater = 0;
        let crossFolder = 0;
        for (const child of details) {
          const parent = child.headers.inReplyTo.map((id) => byMessageId.get(id)).find((p) => p !== undefined);
          if (!parent) continue;
          expect(child.threadId, 'a reply is in the thread of its parent').toBe(parent.threadId);
          pairs++;
          if (indexOf.get(parent.headers.messageId!)! < 90 && indexOf.get(child.headers.messageId!)! >= 90) parentLater++;
          if (parent.folderIds[0] !== child.folderIds[0]) crossFolder++;
        }
        // The cases the test is about did occur.
        expect(pairs).toBeGreaterThan(5);
        expect(parentLater).toBeGreaterThan(0);
        expect(crossFolder).toBeGreaterThan(0);

        // One thread through the API: its messages, oldest first, each pointing back at it.
        const sizes = new Map<string, number>();
        for (const s of summaries) if (s.threadId) sizes.set(s.threadId, (sizes.get(s.threadId) ?? 0) + 1);
        const [threadId, size] = [...sizes].sort((a, b) => b[1] - a[1])[0]!;
        expect(size).toBeGreaterThan(1);
        const thread = (await alice.get(`/api/threads/${threadId}`)).json() as { id: string; items: Summary[] };
        expect(thread.id).toBe(threadId);
        expect(thread.items).toHaveLength(size);
        expect(thread.items.every((m) => m.threadId === threadId)).toBe(true);
        expect(thread.items.map((m) => m.date)).toEqual([...thread.items.map((m) => m.date)].sort((a, b) => a - b));
        expect((await alice.get('/api/threads/00000000-0000-7000-8000-000000000000')).statusCode).toBe(404);
      });

      it('records each run per folder: new mail in one folder, nothing in the others; then invitations on the message', async () => {
        const invites = [...generateMessages({ seed: SEED + 1, count: 6, kinds: ['calendar-request', 'calendar-cancel'] })];
        bed.server.fillRaw(user, 'INBOX', invites.map((m) => m.source));
        await sync.run(userId, accountId);
        const account = (await alice.get(`/api/accounts/${accountId}`)).json() as { lastRun: { startedAt: number; finishedAt: number; outcome: string; folders: FolderRun[] } };
        const run = account.lastRun;
        expect(run.outcome).toBe('ok');
        expect(run.finishedAt).toBeGreaterThanOrEqual(run.startedAt);
        const inbox = run.folders.find((f) => f.path === 'INBOX')!;
        // With CONDSTORE new mail also raises HIGHESTMODSEQ, so the run asks for flag changes since the stored one.
        expect(inbox).toMatchObject({ strategy: profile === 'full' ? 'new+changedsince' : 'new', new: invites.length, changed: 0, deleted: 0, error: null });
        const others = run.folders.filter((f) => f.path !== 'INBOX');
        expect(others.length).toBeGreaterThan(2);
        for (const f of others) expect(f).toMatchObject({ strategy: 'skip', new: 0, changed: 0, deleted: 0, error: null });
        expect(run.folders.every((f) => typeof f.durationMs === 'number' && f.durationMs >= 0)).toBe(true);

        // The list filter finds the invitations (and generated ones from earlier runs), nothing else.
        const withCalendar = await allMessages('&calendar=1');
        expect(withCalendar.length).toBeGreaterThanOrEqual(invites.length);
        expect(withCalendar.every((m) => m.hasCalendar)).toBe(true);
        const everything = await allMessages();
        expect(everything.filter((m) => m.hasCalendar).length).toBe(withCalendar.length);
        const details = await Promise.all(withCalendar.map(async (s) => (await alice.get(`/api/messages/${s.id}`)).json() as Detail));
        for (const inv of invites) {
          const d = details.find((x) => x.headers.messageId === inv.messageId.replace(/^<|>$/g, ''))!;
          expect(d.calendar).toMatchObject({ method: inv.kind === 'calendar-cancel' ? 'CANCEL' : 'REQUEST', location: 'Besprechungsraum Süd', start: { timeZone: 'UTC' } });
          expect(Date.parse(d.calendar!.end.at!) - Date.parse(d.calendar!.start.at!)).toBe(3_600_000);
          expect(d.calendar!.organizer?.address).toMatch(/@/);
          expect(d.calendar!.attendees.length).toBe(1);
        }
      });
    });
  });
}
