import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Crypto } from '../../../src/crypto/crypto.js';
import { ANALYSIS_RUN, analysisKey, analysisRunJob } from '../../../src/jobs/handlers/analysis-run.js';
import { analysePending, type AnalysePendingDeps } from '../../../src/services/analysis/analyse-pending.js';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import { ALICE, BOB, TestClient } from '../../support/http-client.js';
import { createTestSync } from '../../support/sync.js';
import { addBedAccount, describeWithDovecot } from '../../support/testbed.js';

const PASSWORD = 'signals-imap-password';
const ME = 'me@home.example';

/** A small message with the given headers; `n` keeps Message-IDs and subjects apart. */
function mail(n: number, h: { from: string; to?: string; cc?: string; date: string; subject: string; extra?: string[] }, body: string): Buffer {
  return Buffer.from(
    [
      `From: ${h.from}`,
      `To: ${h.to ?? ME}`,
      ...(h.cc ? [`Cc: ${h.cc}`] : []),
      `Subject: ${h.subject}`,
      `Date: ${h.date}`,
      `Message-ID: <signals-${n}@test.example>`,
      ...(h.extra ?? []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

const INFO = 'Hallo,\r\n\r\nzur Info: der Bericht zum dritten Quartal liegt jetzt im Projektordner.\r\n\r\nGruss';

interface Detail {
  analysis: { urgency: number; importance: number; category: string; source: string; status: string; reasons: Array<{ code: string; params: Record<string, string | number> }> };
}
interface Cell {
  urgency: number;
  importance: number;
  count: number;
}

describeWithDovecot('sender signals in the analysis', 'full', (bed) => {
  describeEachDialect('sender signals in the analysis', (ctx) => {
    let app: FastifyInstance;
    let crypto: Crypto;
    let alice: TestClient;
    let bob: TestClient;
    let userId: string;
    let accountId: string;
    const bySubject = new Map<string, string>();
    const run = () => analysePending({ db: ctx.db, crypto, now: () => Date.parse('2026-06-01T08:00:00Z') }, userId, accountId);
    const detail = async (subject: string) => {
      const res = await alice.get(`/api/messages/${bySubject.get(subject)}`);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as Detail).analysis;
    };
    const codes = async (subject: string) => (await detail(subject)).reasons.map((r) => r.code);
    const cells = async () => ((await alice.get(`/api/dashboard?account=${accountId}`)).json().cells as Cell[]).map((c) => c.count);

    beforeAll(async () => {
      const user = bed.server.createUser(`signals-${ctx.dialect}`, PASSWORD);
      bed.server.fillRaw(user, 'Sent', [mail(1, { from: ME, to: 'Fritz <fritz@partner.example>', date: 'Mon, 4 May 2026 09:00:00 +0200', subject: 'Unterlagen' }, 'Hallo Fritz, anbei die Unterlagen.')]);
      bed.server.fillRaw(user, 'INBOX', [
        mail(2, { from: 'Fritz <fritz@partner.example>', date: 'Tue, 5 May 2026 09:00:00 +0200', subject: 'Danke fuer die Unterlagen' }, INFO),
        mail(3, { from: 'Chefin <chefin@firma.example>', date: 'Tue, 5 May 2026 10:00:00 +0200', subject: 'Quartalsbericht' }, INFO),
        mail(4, { from: 'CEO <ceo@firma.example>', date: 'Tue, 5 May 2026 11:00:00 +0200', subject: 'Strategie' }, INFO),
        mail(5, { from: 'Anna <anna@acme.example>', date: 'Tue, 5 May 2026 12:00:00 +0200', subject: 'Teamessen' }, INFO),
        mail(6, { from: 'Vera <vera@vendor.example>', date: 'Mon, 4 May 2026 08:00:00 +0200', subject: 'Angebot 1' }, INFO),
        mail(7, { from: 'Vera <vera@vendor.example>', date: 'Mon, 4 May 2026 09:00:00 +0200', subject: 'Angebot 2' }, INFO),
        mail(8, { from: 'Vera <vera@vendor.example>', date: 'Tue, 5 May 2026 09:00:00 +0200', subject: 'Angebot 3' }, INFO),
        mail(9, { from: 'Otto <otto@partner.example>', to: 'team@partner.example', cc: ME, date: 'Tue, 5 May 2026 13:00:00 +0200', subject: 'Protokoll' }, INFO),
        mail(10, { from: 'Shop <info@shop.example>', date: 'Tue, 5 May 2026 14:00:00 +0200', subject: 'Neuigkeiten im Mai', extra: ['Precedence: bulk', 'Feedback-ID: 123:mai:shop'] }, INFO),
        mail(11, { from: 'Verein <kasse@verein.example>', date: 'Tue, 5 May 2026 15:00:00 +0200', subject: 'Rundschreiben', extra: ['Precedence: bulk'] }, INFO),
      ]);
      // The analysis job is registered (no worker runs here), so a settings change can queue it.
      const jobDeps = { db: ctx.db, now: Date.now } as AnalysePendingDeps;
      const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' }, { jobDefinitions: [analysisRunJob(jobDeps)] });
      app = built.app;
      crypto = built.crypto;
      jobDeps.crypto = crypto;
      userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
      await built.services.users.create({ ...BOB, role: 'user' }, 'cli');
      alice = new TestClient(app, '192.0.2.70');
      await alice.login(ALICE.username, ALICE.password);
      bob = new TestClient(app, '192.0.2.71');
      await bob.login(BOB.username, BOB.password);
      accountId = await addBedAccount(alice, bed.server, user, PASSWORD, 'Signals bed');
      await createTestSync({ db: ctx.db, crypto, accounts: built.accounts }).run(userId, accountId);
      expect(await run()).toEqual({ analysed: 11, failed: 0 });
      for (const m of (await alice.get(`/api/messages?account=${accountId}&limit=50`)).json().items as Array<{ id: string; subject: string }>) bySubject.set(m.subject, m.id);
      expect(bySubject.size).toBe(11);
    });
    afterAll(async () => {
      await app?.close();
    });

    it('a sender the user wrote to (Sent folder) counts as replied-to; earlier mail from a sender is counted', async () => {
      expect(await codes('Danke fuer die Unterlagen')).toContain('replied_before');
      const third = await detail('Angebot 3');
      expect(third.reasons).toContainEqual(expect.objectContaining({ code: 'earlier_correspondence', params: { count: 2 } }));
      expect(third.reasons.map((r) => r.code)).not.toContain('replied_before');
      const first = await detail('Angebot 1');
      expect(first.reasons.map((r) => r.code)).not.toContain('earlier_correspondence');
      expect(first.reasons.map((r) => r.code)).toContain('unknown_sender');
      // Known senders start at importance 2, an unknown one with nothing to do at 1.
      expect(third.importance).toBe(2);
      expect(first.importance).toBe(1);
      // No plaintext address is stored for the index: only keyed hashes.
      const index = await ctx.db.selectFrom('message_addresses').select('address_hash').where('user_id', '=', userId).execute();
      expect(index.length).toBeGreaterThan(10);
      for (const r of index) expect(Buffer.from(r.address_hash).toString('latin1')).not.toMatch(/partner\.example|firma\.example|vendor\.example/);
    });

    it("To vs Cc: the user's own address comes from the Sent folder, and a copy ranks lower", async () => {
      const cc = await detail('Protokoll');
      expect(cc.reasons.map((r) => r.code)).toContain('cc_only');
      expect(await codes('Angebot 3')).toContain('direct_recipient');
    });

    it('Precedence: bulk is kept from the headers and rates low; with a bulk marker header it is a newsletter', async () => {
      const bulk = await detail('Rundschreiben');
      expect(bulk).toMatchObject({ urgency: 1, importance: 1 });
      expect(bulk.reasons).toContainEqual(expect.objectContaining({ code: 'bulk_precedence', params: { value: 'bulk' } }));
      const news = await detail('Neuigkeiten im Mai');
      expect(news).toMatchObject({ category: 'newsletter', urgency: 1, importance: 1 });
      expect(news.reasons).toContainEqual(expect.objectContaining({ code: 'bulk_precedence', params: { value: 'bulk' } }));
    });

    it('adding a VIP pattern re-analyses: the dashboard moves, a correction stays', async () => {
      const before = await detail('Quartalsbericht');
      expect(before.reasons.map((r) => r.code)).not.toContain('vip_sender');
      expect(before.importance).toBeLessThan(3);
      // The user rated the CEO's message themselves: re-analysis must keep that.
      expect((await alice.post(`/api/messages/${bySubject.get('Strategie')}/correction`, { urgency: 1, importance: 1 })).statusCode).toBe(200);
      const countsBefore = await cells();

      const added = await alice.post('/api/settings/vip-senders', { pattern: '*@FIRMA.example' });
      expect(added.statusCode, added.body).toBe(201);
      expect(added.json()).toMatchObject({ pattern: '*@firma.example' });
      // Every message waits for re-analysis, yet stays on the dashboard meanwhile.
      const states = await ctx.db.selectFrom('messages').select('analysis_status').where('account_id', '=', accountId).execute();
      expect(states.every((s) => s.analysis_status === 'pending')).toBe(true);
      expect(await cells()).toEqual(countsBefore);
      // …and a run is queued for the account.
      const queued = await ctx.db.selectFrom('jobs').select(['type', 'key', 'state']).where('user_id', '=', userId).where('type', '=', ANALYSIS_RUN).execute();
      expect(queued).toEqual([{ type: ANALYSIS_RUN, key: analysisKey(accountId), state: 'queued' }]);

      expect((await run()).analysed).toBe(11);
      const after = await detail('Quartalsbericht');
      expect(after.reasons.map((r) => r.code)).toContain('vip_sender');
      expect(after.importance).toBe(3);
      const countsAfter = await cells();
      expect(countsAfter).not.toEqual(countsBefore);
      const idx = (u: number, i: number) => (u - 1) * 3 + (i - 1);
      expect(countsAfter[idx(after.urgency, 3)]).toBe(countsBefore[idx(after.urgency, 3)]! + 1);
      expect(countsAfter[idx(before.urgency, before.importance)]).toBe(countsBefore[idx(before.urgency, before.importance)]! - 1);
      expect(await detail('Strategie')).toMatchObject({ urgency: 1, importance: 1, source: 'user' });

      expect(((await alice.get('/api/settings/vip-senders')).json().items as unknown[]).length).toBe(1);
      expect((await alice.post('/api/settings/vip-senders', { pattern: '*@firma.example' })).statusCode).toBe(409);
      expect((await alice.post('/api/settings/vip-senders', { pattern: 'not an address' })).statusCode).toBe(400);
      expect((await alice.post('/api/settings/vip-senders', {})).statusCode).toBe(400);
    });

    it('an own domain marks a colleague; removing it takes the reason away again', async () => {
      expect(await codes('Teamessen')).not.toContain('own_domain');
      const added = await alice.post('/api/settings/own-domains', { domain: 'ACME.example' });
      expect(added.statusCode, added.body).toBe(201);
      expect(added.json()).toMatchObject({ domain: 'acme.example' });
      expect((await alice.post('/api/settings/own-domains', { domain: '*@acme.example' })).statusCode).toBe(400);
      await run();
      const colleague = await detail('Teamessen');
      expect(colleague.reasons.map((r) => r.code)).toContain('own_domain');
      expect(colleague.importance).toBeGreaterThanOrEqual(2);

      expect((await alice.delete(`/api/settings/own-domains/${added.json().id}`)).statusCode).toBe(204);
      expect((await alice.get('/api/settings/own-domains')).json().items).toEqual([]);
      await run();
      expect(await codes('Teamessen')).not.toContain('own_domain');
      expect((await alice.delete(`/api/settings/own-domains/${added.json().id}`)).statusCode).toBe(404);
    });

    it("another user sees none of the lists and cannot remove an entry; their own change leaves the user's analysis alone", async () => {
      const vip = ((await alice.get('/api/settings/vip-senders')).json().items as Array<{ id: string }>)[0]!;
      expect((await bob.get('/api/settings/vip-senders')).json().items).toEqual([]);
      expect((await bob.delete(`/api/settings/vip-senders/${vip.id}`)).statusCode).toBe(404);
      expect((await bob.delete(`/api/settings/own-domains/${vip.id}`)).statusCode).toBe(404);
      expect((await bob.post('/api/settings/vip-senders', { pattern: '*@firma.example' })).statusCode).toBe(201);
      const states = await ctx.db.selectFrom('messages').select('analysis_status').where('account_id', '=', accountId).execute();
      expect(states.every((s) => s.analysis_status === 'done')).toBe(true);
      expect(((await alice.get('/api/settings/vip-senders')).json().items as unknown[]).length).toBe(1);
      // The patterns are stored sealed.
      const rows = await ctx.db.selectFrom('sender_rules').select('value').execute();
      for (const r of rows) expect(Buffer.from(r.value).toString('latin1')).not.toContain('firma.example');
    });
  });
});
