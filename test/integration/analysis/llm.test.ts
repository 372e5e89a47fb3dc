import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { Crypto } from '../../../src/crypto/crypto.js';
import type { InstanceSealer } from '../../../src/crypto/instance-secrets.js';
import { TransientError } from '../../../src/jobs/errors.js';
import { llmUsageRepository } from '../../../src/repositories/ai.js';
import { analysePending } from '../../../src/services/analysis/analyse-pending.js';
import { createAiProvidersService, utcDay } from '../../../src/services/analysis/llm-providers.js';
import { aiProviderReadiness } from '../../../src/services/analysis/llm-readiness.js';
import { createLlmRefiner } from '../../../src/services/analysis/llm-refine.js';
import { analyseMessage } from '../../../src/ai/builtin/index.js';
import type { AnalysisInput } from '../../../src/ai/types.js';
import type { ReadinessRegistry } from '../../../src/observability/readiness.js';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import { ADMIN, ALICE, TestClient } from '../../support/http-client.js';
import { deadUrl, startStandIn, type StandIn } from '../../support/llm-stand-in.js';
import { createTestSync } from '../../support/sync.js';
import { describeWithDovecot } from '../../support/testbed.js';

const PASSWORD = 'llm-imap-password';
const KEY = 'sk-secret-provider-key-0123456789';

/** Planted personal data the cloud provider must never see. */
const PLANTED = ['Anna', 'Meier', 'anna.meier@beispiel.ch', 'Thomas', 'Keller', 'CH93 0076 2011 6238 5295 7', '+41 44 668 18 00', 'John', 'Smith', 'john.smith@acme.com', 'Johnson', '+44 20 7946 0958', 'https://docs.acme.com/c/1', 'Giulia', 'Bianchi', '333 123 4567', 'Luca'];

const mail = (id: string, from: string, to: string, subject: string, body: string) =>
  Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.com>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body.replace(/\n/g, '\r\n')}\r\n`);

const MESSAGES = [
  mail('llm-de', '"Anna Meier" <anna.meier@beispiel.ch>', '"Thomas Keller" <thomas@firma.ch>', 'Rechnung März',
    'Hallo Thomas,\n\nbitte überweise den Betrag bis Freitag auf CH93 0076 2011 6238 5295 7. Bei Fragen erreichst du mich unter +41 44 668 18 00.\n\nLiebe Grüsse\nAnna Meier'),
  mail('llm-en', '"John Smith" <john.smith@acme.com>', '"Sarah Johnson" <sarah@example.org>', 'Contract review',
    'Dear Ms Johnson,\n\nplease review the contract at https://docs.acme.com/c/1 by Monday. Call me on +44 20 7946 0958 if anything is unclear.\n\nKind regards,\nJohn Smith'),
  mail('llm-it', '"Giulia Bianchi" <giulia.bianchi@libero.it>', '"Luca Rossi" <luca@example.it>', 'Fattura di novembre',
    'Ciao Luca,\n\nti ricordo che la fattura deve essere pagata entro venerdì. Chiamami al 333 123 4567 per qualsiasi domanda.\n\nUn abbraccio\nGiulia'),
];

/** The stand-in answers in the requested language, naming the sender as the request showed it. */
function languageAwareAnswer(text: string): string {
  const from = /^From: (.*?) </m.exec(text)?.[1] ?? 'someone';
  const summary = text.includes('Summary language: German')
    ? `Die Rechnung von ${from} muss bis Freitag bezahlt werden.`
    : text.includes('Summary language: Italian')
      ? `La fattura di ${from} deve essere pagata entro venerdì, come richiesto.`
      : `The contract from ${from} must be reviewed by Monday at the latest.`;
  return JSON.stringify({ urgency: 3, importance: 2, category: 'action_required', summary, tags: ['invoice'] });
}

describeWithDovecot('LLM analysis behind the privacy gate', 'plain', (bed) => {
  describeEachDialect('LLM analysis', (ctx) => {
    let app: FastifyInstance;
    let crypto: Crypto;
    let sealer: InstanceSealer;
    let readiness: ReadinessRegistry;
    let admin: TestClient;
    let alice: TestClient;
    let userId: string;
    let accountId: string;
    let standIn: StandIn;
    let imapUser: ReturnType<typeof bed.server.createUser>;
    let sync: ReturnType<typeof createTestSync>;
    const waits: number[] = [];
    const providers: Record<string, string> = {};

    const run = () => {
      const providerService = createAiProvidersService({ db: ctx.db, sealer, now: Date.now });
      const refine = createLlmRefiner({ db: ctx.db, crypto, providers: providerService, now: Date.now, call: { sleep: async (ms) => void waits.push(ms) } });
      return analysePending({ db: ctx.db, crypto, now: Date.now, refine }, userId, accountId, { limit: 10 });
    };
    const rows = () =>
      ctx.db.selectFrom('messages').select(['id', 'analysis_status', 'analysis_error', 'analysis_source', 'urgency', 'importance']).where('account_id', '=', accountId).orderBy('id').execute();
    const choose = async (name: string, model = 'test-model') => {
      const res = await alice.request('PUT', '/api/settings/ai', { providerId: providers[name], model });
      expect(res.statusCode, res.body).toBe(200);
    };
    const reanalyse = async () => {
      const est = await alice.post('/api/analysis/reanalyse', {});
      const res = await alice.post('/api/analysis/reanalyse', { confirm: { messages: est.json().estimate.messages } });
      expect(res.statusCode, res.body).toBe(202);
    };
    const createProvider = async (body: Record<string, unknown>) => {
      const res = await admin.post('/api/admin/ai-providers', { models: ['test-model'], ...body });
      expect(res.statusCode, res.body).toBe(201);
      providers[body.name as string] = res.json().id;
      return res;
    };

    beforeAll(async () => {
      standIn = await startStandIn();
      const user = (imapUser = bed.server.createUser(`llm-${ctx.dialect}`, PASSWORD));
      bed.server.fillRaw(user, 'INBOX', MESSAGES);
      const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' });
      ({ app, crypto, readiness } = built);
      sealer = built.instanceSealer;
      await built.services.users.create({ ...ADMIN, role: 'admin' }, 'cli');
      userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
      admin = new TestClient(app, '192.0.2.50');
      await admin.login(ADMIN.username, ADMIN.password);
      alice = new TestClient(app, '192.0.2.51');
      await alice.login(ALICE.username, ALICE.password);
      const created = await alice.post('/api/accounts', {
        name: 'LLM bed',
        imap: { host: bed.server.host, port: bed.server.port, security: 'none', user: user.name, password: PASSWORD },
        initialWindow: { sinceDays: 36_500 },
      });
      expect(created.statusCode, created.body).toBe(201);
      accountId = created.json().id;
      sync = createTestSync({ db: ctx.db, crypto, accounts: built.accounts });
      expect((await sync.run(userId, accountId)).stored).toBe(3);
    });
    afterAll(async () => {
      await app?.close();
      await standIn?.close();
    });
    beforeEach(() => {
      standIn.received.length = 0;
      standIn.script.length = 0;
      standIn.answer = (req) => languageAwareAnswer(req.text);
      waits.length = 0;
    });

    it('admins configure providers; the key is sealed and never echoed; loopback is local unless marked cloud', async () => {
      const cloud = await createProvider({ name: 'cloud-openai', type: 'openai-compatible', baseUrl: standIn.openaiBase, apiKey: KEY, locality: 'cloud' });
      expect(cloud.body).not.toContain(KEY);
      expect(cloud.json()).toMatchObject({ locality: 'cloud', hasApiKey: true, type: 'openai-compatible' });
      const local = await createProvider({ name: 'local-ollama', type: 'ollama', baseUrl: standIn.ollamaBase });
      expect(local.json()).toMatchObject({ locality: 'local', localityOverride: null, hasApiKey: false });
      await createProvider({ name: 'cloud-anthropic', type: 'anthropic', baseUrl: standIn.anthropicBase, apiKey: KEY, locality: 'cloud' });
      await createProvider({ name: 'down', type: 'openai-compatible', baseUrl: `${await deadUrl()}/v1`, locality: 'cloud' });
      const list = await admin.get('/api/admin/ai-providers');
      expect(list.statusCode).toBe(200);
      expect(list.body).not.toContain(KEY);
      const stored = await ctx.db.selectFrom('ai_providers').select('api_key').where('name', '=', 'cloud-openai').executeTakeFirstOrThrow();
      expect(Buffer.from(stored.api_key!).includes(Buffer.from(KEY))).toBe(false);
      expect(await sealer.openText('ai_provider.api_key.v1', providers['cloud-openai']!, stored.api_key!)).toBe(KEY);
      // A plain user sees the choice, never URLs or keys.
      const settings = await alice.get('/api/settings/ai');
      expect(settings.json().providerId).toBeNull();
      expect(settings.body).not.toContain(standIn.url);
      expect(settings.json().providers.map((p: { name: string }) => p.name).sort()).toEqual(['cloud-anthropic', 'cloud-openai', 'down', 'local-ollama']);
      expect((await alice.get('/api/admin/ai-providers')).statusCode).toBe(403);
    });

    it('a cloud provider receives only anonymised text; names come back in the stored summary', async () => {
      await choose('cloud-openai');
      expect(await run()).toEqual({ analysed: 3, failed: 0 });
      expect(standIn.received).toHaveLength(3);
      for (const r of standIn.received) {
        expect(r.api).toBe('openai');
        expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
        for (const v of PLANTED) expect(r.text, `${v} reached the cloud provider`).not.toContain(v);
        expect(r.text).toMatch(/\[NAME_\d+\]/);
      }
      for (const row of await rows()) expect(row).toMatchObject({ analysis_status: 'done', analysis_error: null, analysis_source: 'llm:cloud-openai/test-model', urgency: 3, importance: 2 });
      const list = (await alice.get('/api/messages')).json().items as Array<{ id: string; subject: string }>;
      const de = list.find((m) => m.subject === 'Rechnung März')!;
      const detail = (await alice.get(`/api/messages/${de.id}`)).json();
      expect(detail.analysis.summary).toBe('Die Rechnung von Anna Meier muss bis Freitag bezahlt werden.');
      expect(detail.analysis.source).toBe('llm:cloud-openai/test-model');
    });

    it('the same content and model is answered from the cache, per user', async () => {
      await reanalyse();
      expect(await run()).toEqual({ analysed: 3, failed: 0 });
      expect(standIn.received).toHaveLength(0);
    });

    it('a local provider (Ollama chat API) receives the original text', async () => {
      await choose('local-ollama');
      await reanalyse();
      expect(await run()).toEqual({ analysed: 3, failed: 0 });
      expect(standIn.received).toHaveLength(3);
      expect(standIn.received.every((r) => r.api === 'ollama' && r.path === '/api/chat')).toBe(true);
      const all = standIn.received.map((r) => r.text).join('\n');
      for (const v of ['Anna Meier', 'CH93 0076 2011 6238 5295 7', '+41 44 668 18 00', 'john.smith@acme.com']) expect(all).toContain(v);
      expect((await rows()).every((r) => r.analysis_source === 'llm:local-ollama/test-model')).toBe(true);
    });

    it('invalid output is retried once, then the analysis fails with the reason and the built-in result stays', async () => {
      await choose('cloud-anthropic');
      await reanalyse();
      standIn.answer = () => 'I think this is urgent!';
      expect(await run()).toEqual({ analysed: 0, failed: 3 });
      expect(standIn.received).toHaveLength(6);
      expect(standIn.received.every((r) => r.api === 'anthropic' && r.headers['x-api-key'] === KEY)).toBe(true);
      for (const r of standIn.received) for (const v of PLANTED) expect(r.text).not.toContain(v);
      for (const row of await rows()) {
        expect(row).toMatchObject({ analysis_status: 'failed', analysis_error: 'LLM_INVALID_OUTPUT', analysis_source: 'builtin' });
        expect(row.urgency).not.toBeNull();
      }
    });

    it('a 429 is retried after Retry-After', async () => {
      await choose('cloud-anthropic');
      await reanalyse();
      standIn.script.push({ kind: 'status', status: 429, headers: { 'retry-after': '3' }, body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } } });
      expect(await run()).toEqual({ analysed: 3, failed: 0 });
      expect(waits).toEqual([3000]);
      expect(standIn.received).toHaveLength(4);
    });

    it('a provider that is down leaves the analysis pending (built-in visible) and the job retries later; nothing is lost', async () => {
      await choose('down');
      await reanalyse();
      const err = await run().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).code).toBe('LLM_UNAVAILABLE');
      for (const row of await rows()) {
        expect(row).toMatchObject({ analysis_status: 'pending', analysis_error: 'LLM_UNAVAILABLE', analysis_source: 'builtin' });
        expect(row.urgency).not.toBeNull();
      }
      // The provider comes back (here: the admin points it at the running server); the next run completes.
      const patched = await admin.patch(`/api/admin/ai-providers/${providers.down}`, { baseUrl: standIn.openaiBase });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(await run()).toEqual({ analysed: 3, failed: 0 });
      expect((await rows()).every((r) => r.analysis_status === 'done' && r.analysis_source === 'llm:down/test-model')).toBe(true);
    });

    it('a provider that does not answer in time: pending with LLM_TIMEOUT', async () => {
      // A model not used before, so the cache cannot answer.
      await admin.patch(`/api/admin/ai-providers/${providers['local-ollama']}`, { timeoutMs: 1000, models: ['test-model', 'slow-model'] });
      await choose('local-ollama', 'slow-model');
      await reanalyse();
      standIn.script.push({ kind: 'hang' });
      const err = await run().catch((e: unknown) => e);
      expect((err as TransientError).code).toBe('LLM_TIMEOUT');
      expect(standIn.received).toHaveLength(1);
      expect((await rows()).map((r) => r.analysis_status)).toEqual(['pending', 'pending', 'pending']);
    });

    it('a spent daily budget defers the analysis with a clear reason and sends nothing', async () => {
      await admin.patch(`/api/admin/ai-providers/${providers['cloud-openai']}`, { userDailyTokenBudget: 1000 });
      await choose('cloud-openai', 'test-model');
      await llmUsageRepository.add(ctx.db, userId, providers['cloud-openai']!, utcDay(Date.now()), 1, 900, 50);
      // New content, so the cache cannot answer.
      await ctx.db.updateTable('messages').set({ analysis_status: 'pending' }).where('account_id', '=', accountId).execute();
      await admin.patch(`/api/admin/ai-providers/${providers['cloud-openai']}`, { models: ['test-model', 'other-model'] });
      await choose('cloud-openai', 'other-model');
      const res = await run();
      expect(res).toEqual({ analysed: 0, failed: 0, deferred: 3, deferredReason: 'LLM_BUDGET_EXCEEDED' });
      expect(standIn.received).toHaveLength(0);
      expect((await rows()).every((r) => r.analysis_status === 'pending' && r.analysis_error === 'LLM_BUDGET_EXCEEDED' && r.urgency !== null)).toBe(true);
    });

    it('re-analysing everything needs a confirmed estimate', async () => {
      const est = await alice.post('/api/analysis/reanalyse', {});
      expect(est.statusCode).toBe(200);
      expect(est.json()).toMatchObject({ confirmed: false, estimate: { messages: 3, provider: { name: 'cloud-openai', model: 'other-model', locality: 'cloud' } } });
      expect(est.json().estimate.estimatedTokens).toBeGreaterThan(3 * 450);
      const stale = await alice.post('/api/analysis/reanalyse', { confirm: { messages: 7 } });
      expect(stale.statusCode).toBe(409);
      expect(stale.json().error.code).toBe('REANALYSE_ESTIMATE_CHANGED');
      const ok = await alice.post('/api/analysis/reanalyse', { confirm: { messages: 3 } });
      expect(ok.statusCode).toBe(202);
      expect(ok.json()).toMatchObject({ confirmed: true, messages: 3 });
    });

    it('metrics count requests and tokens by provider and outcome, without mail content', async () => {
      const res = await admin.get('/metrics');
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(/mailhelper_llm_requests_total\{provider="cloud-openai",outcome="ok"\} \d+/);
      expect(res.body).toMatch(/mailhelper_llm_requests_total\{provider="cloud-openai",outcome="budget"\} \d+/);
      expect(res.body).toMatch(/mailhelper_llm_requests_total\{provider="down",outcome="unavailable"\} \d+/);
      expect(res.body).toMatch(/mailhelper_llm_tokens_total\{provider="local-ollama",direction="input"\} \d+/);
      expect(res.body).toMatch(/mailhelper_llm_request_duration_seconds_count\{provider="cloud-anthropic",outcome="ok"\} \d+/);
      for (const v of [...PLANTED, KEY, 'Rechnung']) expect(res.body).not.toContain(v);
    });

    it('each provider has a readiness entry that reports but never makes the instance unready', async () => {
      await admin.patch(`/api/admin/ai-providers/${providers.down}`, { baseUrl: `${await deadUrl()}/v1` });
      readiness.registerSource(aiProviderReadiness(createAiProvidersService({ db: ctx.db, sealer, now: Date.now })));
      const res = await admin.get('/readyz');
      expect(res.statusCode, res.body).toBe(200);
      const checks = res.json().checks as Array<{ name: string; ok: boolean; informational?: boolean }>;
      expect(checks.find((c) => c.name === 'ai-provider:down')).toMatchObject({ ok: false, informational: true });
      expect(checks.find((c) => c.name === 'ai-provider:local-ollama')).toMatchObject({ ok: true, informational: true });
      expect(checks.find((c) => c.name === 'ai-provider:cloud-openai')).toMatchObject({ ok: true });
      expect(res.body).not.toContain(KEY);
    });

    it('a correction is laid over the LLM result: user over LLM over built-in', async () => {
      await choose('cloud-openai', 'test-model');
      const list = (await alice.get('/api/messages')).json().items as Array<{ id: string; subject: string }>;
      const de = list.find((m) => m.subject === 'Rechnung März')!;
      const res = await alice.post(`/api/messages/${de.id}/correction`, { importance: 1 });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().analysis).toMatchObject({ source: 'user', importance: 1, urgency: 3, summary: 'Die Rechnung von Anna Meier muss bis Freitag bezahlt werden.' });
      // Answered from the cache: a correction never calls a provider.
      expect(standIn.received).toHaveLength(0);
    });

    it('residue after anonymising blocks the call: failed with ANONYMISE_RESIDUE, nothing sent', async () => {
      await choose('cloud-openai', 'test-model');
      const providerService = createAiProvidersService({ db: ctx.db, sealer, now: Date.now });
      const refine = await createLlmRefiner({ db: ctx.db, crypto, providers: providerService, now: Date.now })(userId);
      const input: AnalysisInput = {
        subject: 'Kontakt',
        from: { name: null, address: 'x@example.com' },
        to: [],
        cc: [],
        hasBcc: false,
        userAddresses: [],
        date: Date.parse('2026-11-27T10:00:00Z'),
        // An address the replacer does not recognise as one (no domain), but the detector does not let pass.
        text: 'Schreib mir an mailto:chef, bitte bis Freitag.',
        headers: {},
        hasAttachments: false,
        calendarMethod: null,
        thread: { isReply: false, userRepliedToSender: false, earlierCorrespondence: 0 },
      };
      const builtin = analyseMessage(input, { vipPatterns: [], ownDomains: [], trustedSenders: [] });
      expect(await refine!({ userId, messageId: 'none', input, builtin, thread: [] })).toEqual({ kind: 'failed', code: 'ANONYMISE_RESIDUE' });
      expect(standIn.received).toHaveLength(0);
    });

    it('a reply carries its thread as context: anonymised for a cloud provider, as written for a local one', async () => {
      const reply = Buffer.from(
        'From: "Thomas Keller" <thomas@firma.ch>\r\nTo: "Anna Meier" <anna.meier@beispiel.ch>\r\nSubject: Re: Rechnung M=?utf-8?q?=C3=A4?=rz\r\n' +
          'Message-ID: <llm-de-reply@example.com>\r\nIn-Reply-To: <llm-de@example.com>\r\nReferences: <llm-de@example.com>\r\n' +
          'Date: Fri, 27 Nov 2026 15:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nErledigt, die Zahlung ist unterwegs.\r\n',
      );
      bed.server.fillRaw(imapUser, 'INBOX', [reply]);
      expect((await sync.run(userId, accountId)).stored).toBe(1);
      // Fresh providers: the budget test above spent the others' budgets.
      await createProvider({ name: 'cloud-thread', type: 'openai-compatible', baseUrl: standIn.openaiBase, apiKey: KEY, locality: 'cloud' });
      await createProvider({ name: 'local-thread', type: 'ollama', baseUrl: standIn.ollamaBase });
      await choose('cloud-thread');
      // Earlier tests may leave a message pending; the reply is among those analysed now.
      expect(await run()).toMatchObject({ failed: 0 });
      const cloudText = standIn.received.map((r) => r.text).find((t) => t.includes('Erledigt, die Zahlung'))!;
      expect(cloudText).toBeDefined();
      // The parent's text is there (its request for payment) …
      expect(cloudText).toContain('Earlier in the thread');
      expect(cloudText).toContain('bitte überweise den Betrag bis Freitag');
      // … without its names, IBAN, phone number or addresses.
      for (const v of PLANTED.slice(0, 7)) expect(cloudText, `${v} reached the cloud provider`).not.toContain(v);

      standIn.received.length = 0;
      await choose('local-thread');
      await reanalyse();
      await run();
      const localText = standIn.received.map((r) => r.text).find((t) => t.includes('Erledigt, die Zahlung'))!;
      expect(localText).toContain('Earlier in the thread');
      expect(localText).toContain('CH93 0076 2011 6238 5295 7');
    });
  });
});
