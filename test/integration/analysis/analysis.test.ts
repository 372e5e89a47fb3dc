import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { renderReason } from '../../../src/ai/builtin/index.js';
import type { Crypto } from '../../../src/crypto/crypto.js';
import { acquireLease, releaseLease } from '../../../src/jobs/leases.js';
import { analysisKey, analysisRunJob } from '../../../src/jobs/handlers/analysis-run.js';
import { resetAnalysis } from '../../../src/repositories/message-analysis.js';
import { analysePending } from '../../../src/services/analysis/analyse-pending.js';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import { ALICE, BOB, TestClient } from '../../support/http-client.js';
import { createTestSync } from '../../support/sync.js';
import { addBedAccount, describeWithDovecot } from '../../support/testbed.js';

const PASSWORD = 'analysis-imap-password';

interface Cell {
  urgency: number;
  importance: number;
  score: number;
  colour: string;
  count: number;
  top: Array<{ id: string; analysis: { urgency: number; importance: number; source: string; status: string } }>;
}

const colourFor = (score: number) => (score >= 8 ? 'red' : score >= 5 ? 'yellow' : 'green');

describeWithDovecot('analysis after sync', 'full', (bed) => {
  describeEachDialect('analysis after sync', (ctx) => {
    let app: FastifyInstance;
    let crypto: Crypto;
    let alice: TestClient;
    let bob: TestClient;
    let userId: string;
    let accountId: string;
    const storedCalls: Array<{ accountId: string; stored: number }> = [];
    const deps = () => ({ db: ctx.db, crypto, now: () => Date.parse('2026-06-01T08:00:00Z') });

    const dashboard = async (): Promise<Cell[]> => {
      const res = await alice.get(`/api/dashboard?account=${accountId}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().cells as Cell[];
    };
    const expectedTotal = async () => {
      const row = await ctx.db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('account_id', '=', accountId)
        .where('copy_count', '>', 0)
        .where('is_spam', '=', 0)
        .where('is_done', '=', 0)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    };

    beforeAll(async () => {
      const user = bed.server.createUser(`analysis-${ctx.dialect}`, PASSWORD);
      bed.server.fillGenerated(user, { seed: 12, count: 60 });
      const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' });
      app = built.app;
      crypto = built.crypto;
      userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
      await built.services.users.create({ ...BOB, role: 'user' }, 'cli');
      alice = new TestClient(app, '192.0.2.40');
      await alice.login(ALICE.username, ALICE.password);
      bob = new TestClient(app, '192.0.2.41');
      await bob.login(BOB.username, BOB.password);
      accountId = await addBedAccount(alice, bed.server, user, PASSWORD, 'Analysis bed');
      const sync = createTestSync({ db: ctx.db, crypto, accounts: built.accounts, onStored: async (_u, a, stored) => void storedCalls.push({ accountId: a, stored }) });
      const result = await sync.run(userId, accountId);
      expect(result.stored).toBeGreaterThan(20);
    });
    afterAll(async () => {
      await app?.close();
    });

    it('a sync that stored messages asks for their analysis, and every new message waits as pending', async () => {
      expect(storedCalls.length).toBe(1);
      expect(storedCalls[0]!.accountId).toBe(accountId);
      const rows = await ctx.db.selectFrom('messages').select(['analysis_status', 'urgency']).where('account_id', '=', accountId).execute();
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.analysis_status === 'pending' && r.urgency === null)).toBe(true);
      // Before analysis nothing is on the dashboard.
      expect((await dashboard()).reduce((n, c) => n + c.count, 0)).toBe(0);
    });

    it('a run whose lease was taken over writes nothing: its messages stay pending for the next run', async () => {
      await expect(analysePending(deps(), userId, accountId, { limit: 5, lease: { key: `analysis:${accountId}`, token: 999 } })).rejects.toThrow();
      const done = await ctx.db.selectFrom('messages').select('id').where('account_id', '=', accountId).where('analysis_status', '!=', 'pending').execute();
      expect(done.length).toBe(0);
    });

    it('analysePending analyses every message: done, levels 1–3, score and colour by the rules', async () => {
      const total = (await ctx.db.selectFrom('messages').select('id').where('account_id', '=', accountId).execute()).length;
      const res = await analysePending(deps(), userId, accountId, { limit: 7 });
      expect(res).toEqual({ analysed: total, failed: 0 });
      const rows = await ctx.db
        .selectFrom('messages')
        .select(['analysis_status', 'urgency', 'importance', 'score', 'colour', 'category', 'analysis_source', 'analysis_summary'])
        .where('account_id', '=', accountId)
        .execute();
      for (const r of rows) {
        expect(r.analysis_status).toBe('done');
        expect([1, 2, 3]).toContain(r.urgency);
        expect([1, 2, 3]).toContain(r.importance);
        expect(r.score).toBe(2 * r.urgency! + r.importance!);
        expect(r.colour).toBe(colourFor(r.score!));
        expect(r.analysis_source).toBe('builtin');
        expect(r.category).toBeTruthy();
      }
      // Generated mail includes newsletters; the analyser finds them from the stored List-* headers.
      expect(rows.some((r) => r.category === 'newsletter')).toBe(true);
      // Nothing left: a second run has no work.
      expect(await analysePending(deps(), userId, accountId, { limit: 7 })).toEqual({ analysed: 0, failed: 0 });
    });

    it('the dashboard has nine cells in (urgency, importance) order whose counts sum to the open, non-spam messages', async () => {
      const cells = await dashboard();
      expect(cells.map((c) => `${c.urgency},${c.importance}`)).toEqual(['1,1', '1,2', '1,3', '2,1', '2,2', '2,3', '3,1', '3,2', '3,3']);
      const total = await expectedTotal();
      expect(total).toBeGreaterThan(0);
      expect(cells.reduce((n, c) => n + c.count, 0)).toBe(total);
      for (const c of cells) {
        expect(c.score).toBe(2 * c.urgency + c.importance);
        expect(c.colour).toBe(colourFor(c.score));
        expect(c.top.length).toBe(Math.min(5, c.count));
        for (const m of c.top) expect([m.analysis.urgency, m.analysis.importance]).toEqual([c.urgency, c.importance]);
      }
    });

    it('GET /api/messages filters by cell, colour and category, and summaries carry the analysis', async () => {
      const cells = await dashboard();
      const busy = cells.find((c) => c.count > 0)!;
      const listed = await alice.get(`/api/messages?account=${accountId}&cell=${busy.urgency},${busy.importance}&limit=200`);
      expect(listed.statusCode).toBe(200);
      const items = listed.json().items as Array<{ analysis: { urgency: number; importance: number; colour: string; category: string; status: string; summary: string | null } }>;
      expect(items.length).toBe(busy.count);
      expect(items.every((m) => m.analysis.urgency === busy.urgency && m.analysis.importance === busy.importance && m.analysis.status === 'done')).toBe(true);
      const colour = busy.colour;
      const byColour = (await alice.get(`/api/messages?account=${accountId}&colour=${colour}&limit=200`)).json().items as typeof items;
      expect(byColour.length).toBeGreaterThan(0);
      expect(byColour.every((m) => m.analysis.colour === colour)).toBe(true);
      const news = (await alice.get(`/api/messages?account=${accountId}&category=newsletter&limit=200`)).json().items as typeof items;
      expect(news.length).toBeGreaterThan(0);
      expect(news.every((m) => m.analysis.category === 'newsletter')).toBe(true);
      expect((await alice.get('/api/messages?cell=4,1')).statusCode).toBe(400);
    });

    it('a correction moves the message to another cell in the very next dashboard call, and survives re-analysis', async () => {
      const before = await dashboard();
      const from = before.find((c) => c.count > 0 && c.top.length > 0)!;
      const messageId = from.top[0]!.id;
      const target = { urgency: from.urgency === 3 ? 1 : 3, importance: from.importance === 3 ? 1 : 3 };
      const res = await alice.post(`/api/messages/${messageId}/correction`, target);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().analysis).toMatchObject({ ...target, source: 'user', status: 'done', score: 2 * target.urgency + target.importance });

      const count = (cells: Cell[], u: number, i: number) => cells.find((c) => c.urgency === u && c.importance === i)!.count;
      const after = await dashboard();
      expect(count(after, from.urgency, from.importance)).toBe(from.count - 1);
      expect(count(after, target.urgency, target.importance)).toBe(count(before, target.urgency, target.importance) + 1);

      // Re-analysis keeps the user's word.
      await resetAnalysis(ctx.db, userId, [messageId]);
      // While it waits for re-analysis it stays in its cell.
      expect(count(await dashboard(), target.urgency, target.importance)).toBe(count(after, target.urgency, target.importance));
      expect((await analysePending(deps(), userId, accountId)).analysed).toBe(1);
      const again = await dashboard();
      expect(count(again, target.urgency, target.importance)).toBe(count(after, target.urgency, target.importance));
      const detail = (await alice.get(`/api/messages/${messageId}`)).json();
      expect(detail.analysis).toMatchObject({ ...target, source: 'user', status: 'done' });

      // The correction is kept as the source of truth, with the learner's example sealed.
      const stored = await ctx.db.selectFrom('message_corrections').selectAll().where('message_id', '=', messageId).execute();
      expect(stored.length).toBe(1);
      expect(stored[0]).toMatchObject({ user_id: userId, urgency: target.urgency, importance: target.importance, previous_source: 'builtin' });
      expect(stored[0]!.example).not.toBeNull();
    });

    it('marking spam by correction takes the message off the dashboard', async () => {
      const cells = await dashboard();
      const total = cells.reduce((n, c) => n + c.count, 0);
      const id = cells.find((c) => c.top.length > 0)!.top[0]!.id;
      const res = await alice.post(`/api/messages/${id}/correction`, { spam: true });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().analysis).toMatchObject({ isSpam: true, category: 'spam', source: 'user' });
      expect((await dashboard()).reduce((n, c) => n + c.count, 0)).toBe(total - 1);
      expect((await alice.post(`/api/messages/${id}/correction`, { urgency: 7 })).statusCode).toBe(400);
      expect((await alice.post(`/api/messages/${id}/correction`, {})).statusCode).toBe(400);
    });

    it('the analysis.run job re-analyses what is pending under its lease, keeping corrections', async () => {
      const rows = await ctx.db.selectFrom('messages').select(['id', 'urgency', 'importance', 'analysis_source']).where('account_id', '=', accountId).orderBy('id').execute();
      await resetAnalysis(ctx.db, userId, rows.map((r) => r.id));
      const lease = (await acquireLease(ctx.db, analysisKey(accountId), 'test', 60_000, Date.now()))!;
      try {
        const job = analysisRunJob(deps());
        const result = await job.run({ accountId }, { userId, lease, signal: new AbortController().signal, progress: async () => {} } as never);
        expect(result).toEqual({ analysed: rows.length, failed: 0 });
      } finally {
        await releaseLease(ctx.db, lease);
      }
      const after = await ctx.db.selectFrom('messages').select(['id', 'urgency', 'importance', 'analysis_source', 'analysis_status']).where('account_id', '=', accountId).orderBy('id').execute();
      expect(after.every((r) => r.analysis_status === 'done')).toBe(true);
      // Same input, same clock: the same verdicts, and the corrected messages keep the user's levels.
      expect(after.map(({ analysis_status: _s, ...r }) => r)).toEqual(rows);
      expect(after.filter((r) => r.analysis_source === 'user').length).toBe(2);
    });

    it("the detail renders reasons in the reader's language", async () => {
      const rows = await ctx.db.selectFrom('messages').select('id').where('account_id', '=', accountId).where('analysis_source', '=', 'builtin').execute();
      let checked = 0;
      expect((await alice.patch('/api/me', { language: 'de' })).statusCode).toBe(200);
      for (const { id } of rows.slice(0, 15)) {
        const a = (await alice.get(`/api/messages/${id}`)).json().analysis as { reasons: Array<{ code: string; params: Record<string, string | number>; text: string }> };
        for (const r of a.reasons) {
          expect(r.text).toBe(renderReason({ code: r.code, params: r.params }, 'de'));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });

    it("another user's message answers 404 for correction and detail, and stays as it was", async () => {
      const row = await ctx.db.selectFrom('messages').select(['id', 'urgency', 'importance', 'analysis_source']).where('account_id', '=', accountId).executeTakeFirstOrThrow();
      const res = await bob.post(`/api/messages/${row.id}/correction`, { urgency: 1, importance: 1 });
      expect(res.statusCode).toBe(404);
      expect((await bob.get(`/api/messages/${row.id}`)).statusCode).toBe(404);
      const cells = (await bob.get('/api/dashboard')).json().cells as Cell[];
      expect(cells.reduce((n, c) => n + c.count, 0)).toBe(0);
      const after = await ctx.db.selectFrom('messages').select(['urgency', 'importance', 'analysis_source']).where('id', '=', row.id).executeTakeFirstOrThrow();
      expect(after).toEqual({ urgency: row.urgency, importance: row.importance, analysis_source: row.analysis_source });
      const corrections = await ctx.db.selectFrom('message_corrections').select('id').where('message_id', '=', row.id).where('user_id', '!=', userId).execute();
      expect(corrections.length).toBe(0);
    });
  });
});
