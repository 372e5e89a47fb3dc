import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { buildTestApp } from '../../support/app.js';
import { writeBackJob } from '../../../src/jobs/handlers/write-back.js';
import type { WriteBack } from '../../../src/services/writeback/write-back.js';
import { describeEachDialect } from '../../support/db.js';
import { ADMIN, ALICE, BOB, TestClient } from '../../support/http-client.js';
import { fixtureJobDefinitions } from '../../support/job-harness.js';
import { routeCaseFor, routeCases, type IsolationFixture, type RouteCase } from '../../support/isolation-routes.js';
import { createFixtureTables } from '../jobs/fixtures/handlers.mjs';
import type { RouteInfo } from '../../../src/http/app.js';
import { describeWithDovecot } from '../../support/testbed.js';
import { createTestSync } from '../../support/sync.js';
import { accountSyncJob } from '../../../src/jobs/handlers/account-sync.js';
import type { AccountSync } from '../../../src/services/sync/account-sync.js';

/** Every row that belongs to a user, in every table with a user_id (plus the user row itself). */
async function rowsOf(db: Kysely<any>, userId: string): Promise<string> {
  const tables = await db.introspection.getTables();
  const out: Record<string, unknown[]> = {};
  for (const t of tables.filter((t) => t.columns.some((c) => c.name === 'user_id')).map((t) => t.name).sort()) {
    out[t] = (await db.selectFrom(t).selectAll().where('user_id', '=', userId).execute()).map((r: Record<string, unknown>) => {
      const { last_seen_at: _a, last_used_at: _b, ...rest } = r;
      return rest;
    });
  }
  out.users = await db.selectFrom('users').selectAll().where('id', '=', userId).execute();
  return JSON.stringify(out, (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('base64') : v));
}

describeWithDovecot('per-user isolation on every route', 'full', (bed) => {
describeEachDialect('per-user isolation on every route', (ctx) => {
  let app: FastifyInstance;
  let fixture: IsolationFixture;
  let a: TestClient;
  let b: TestClient;
  let routes: RouteInfo[];

  beforeAll(async () => {
    await createFixtureTables(ctx.db);
    // The sync type is registered so "sync now" can enqueue; no worker runs it in this test.
    const neverRun = { run: async () => { throw new Error('not run here'); } } as unknown as AccountSync;
    const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' }, {
      jobDefinitions: [...fixtureJobDefinitions(ctx.db), accountSyncJob({ accountSync: neverRun }), writeBackJob({ writeBack: neverRun as unknown as WriteBack })],
    });
    app = built.app;
    routes = app.routeTable;
    const { services, jobs } = built;
    const admin = await services.users.create({ ...ADMIN, role: 'admin' }, 'cli');
    const alice = await services.users.create({ ...ALICE, role: 'user' }, 'cli');
    await services.users.create({ ...BOB, role: 'user' }, 'cli');
    const token = await services.tokens.create(alice.id, { name: 'a-token', scopes: ['read'] });
    const job = await jobs!.queue.enqueue('test.echo', { n: 1 }, { userId: alice.id });
    const invitation = await services.invitations.create({ id: admin.id, role: 'admin' }, { role: 'user' });
    a = new TestClient(app, '192.0.2.100');
    b = new TestClient(app, '192.0.2.101');
    await a.login(ALICE.username, ALICE.password);
    await b.login(BOB.username, BOB.password);
    // A real mailbox for A on the test bed, added through the API (plain IMAP is allowed on loopback).
    const mailbox = bed.server.createUser(`iso-${ctx.dialect}`, 'iso-imap-password');
    await bed.server.createFolder(mailbox, 'Archive');
    bed.server.fillGenerated(mailbox, { seed: 21, count: 12, kinds: ['plain', 'attachment'] });
    const created = await a.post('/api/accounts', {
      name: 'A mail',
      imap: { host: bed.server.host, port: bed.server.port, security: 'none', user: mailbox.name, password: 'iso-imap-password' },
      initialWindow: { sinceDays: 36_500 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const accountIdA = created.json().id as string;
    const folderIdA = ((await a.get(`/api/accounts/${accountIdA}/folders`)).json() as { id: string; role: string }[])[0]!.id;
    await createTestSync({ db: ctx.db, crypto: built.crypto, accounts: built.accounts }).run(alice.id, accountIdA);
    const withAttachment = await ctx.db.selectFrom('messages').select('id').where('user_id', '=', alice.id).where('has_attachments', '=', 1).executeTakeFirstOrThrow();
    const anyMessage = await ctx.db.selectFrom('messages').select(['id', 'thread_id']).where('user_id', '=', alice.id).executeTakeFirstOrThrow();
    const tag = await a.post('/api/tags', { name: 'Projekt A' });
    expect(tag.statusCode, tag.body).toBe(201);
    expect((await a.post(`/api/messages/${anyMessage.id}/tags`, { tagId: tag.json().id })).statusCode).toBe(200);
    const vip = await a.post('/api/settings/vip-senders', { pattern: 'boss@firma-a.example' });
    const domain = await a.post('/api/settings/own-domains', { domain: 'firma-a.example' });
    expect([vip.statusCode, domain.statusCode]).toEqual([201, 201]);
    fixture = {
      userA: { id: alice.id, username: alice.username },
      tokenIdA: token.id,
      jobIdA: job.id,
      invitationId: invitation.id,
      accountIdA,
      folderIdA,
      messageIdA: anyMessage.id,
      attachmentMessageIdA: withAttachment.id,
      tagIdA: tag.json().id,
      vipSenderIdA: vip.json().id,
      ownDomainIdA: domain.json().id,
      threadIdA: anyMessage.thread_id!,
    };
  });
  afterAll(async () => app?.close());

  it('has an isolation case for every registered route (new routes must add one)', () => {
    const missing = routes.filter((r) => !routeCaseFor(r.method, r.url)).map((r) => `${r.method} ${r.url}`);
    expect(missing, 'add these routes to test/support/isolation-routes.ts').toEqual([]);
    const stale = Object.keys(routeCases).filter((k) => !routes.some((r) => `${r.method} ${r.url}` === k));
    expect(stale, 'cases for routes that no longer exist').toEqual([]);
    // The table's declared admin routes are admin in the app, too.
    for (const r of routes) if (r.access === 'admin') expect(routeCaseFor(r.method, r.url)!.kind, `${r.method} ${r.url}`).toBe('admin');
  });

  const secretsOfA = () => [fixture.userA.id, fixture.userA.username, fixture.tokenIdA, fixture.jobIdA, fixture.accountIdA, fixture.folderIdA, fixture.messageIdA, fixture.tagIdA, fixture.vipSenderIdA, fixture.ownDomainIdA];

  async function send(client: TestClient, route: RouteInfo, c: RouteCase) {
    const built = c.build?.(fixture) ?? {};
    const url = built.url ?? route.url;
    if (route.url === '/api/events') {
      // The event stream never ends; ask for it with a timeout and read what arrived.
      const res = await app.inject({ method: 'GET', url, headers: { cookie: client.cookie! }, remoteAddress: client.ip, payloadAsStream: true } as never);
      const stream = (res as unknown as { stream(): NodeJS.ReadableStream }).stream();
      let text = '';
      stream.on('data', (d: Buffer) => (text += d));
      await new Promise((r) => setTimeout(r, 200));
      (stream as unknown as { destroy(): void }).destroy();
      return { statusCode: res.statusCode, body: text };
    }
    const res = await client.request(route.method as 'GET', url, built.body ?? (route.method === 'GET' || route.method === 'DELETE' ? undefined : {}));
    return { statusCode: res.statusCode, body: res.body };
  }

  it('B never reaches A’s objects, and A’s rows are unchanged; A’s own requests succeed', async () => {
    const problems: string[] = [];
    // Requests that end A's objects (delete, cancel, logout) run last, so the others still find them.
    const ordered = [...routes].sort((x, y) => Number(!!routeCaseFor(x.method, x.url)?.destructive) - Number(!!routeCaseFor(y.method, y.url)?.destructive));
    for (const route of ordered) {
      const key = `${route.method} ${route.url}`;
      const c = routeCaseFor(route.method, route.url);
      if (!c || c.kind === 'public') continue;
      // Some self routes end the caller's session (logout); sign in again when that happened.
      for (const [client, who] of [[a, ALICE], [b, BOB]] as const) {
        if ((await client.get('/api/me')).statusCode !== 200) await client.login(who.username, who.password);
      }
      const before = await rowsOf(ctx.db, fixture.userA.id);
      const asB = await send(b, route, c);
      if (c.kind === 'admin') {
        if (asB.statusCode !== 403) problems.push(`${key}: a plain user got ${asB.statusCode}, not 403`);
      } else if (c.kind === 'owned' && !c.isList) {
        if (asB.statusCode !== 404) problems.push(`${key}: B got ${asB.statusCode}, not 404`);
      } else if (asB.statusCode >= 500) {
        problems.push(`${key}: B got ${asB.statusCode}`);
      }
      for (const s of secretsOfA()) if (asB.body.includes(s)) problems.push(`${key}: B's answer mentions A (${s === fixture.userA.username ? 'username' : 'an id'})`);
      if ((await rowsOf(ctx.db, fixture.userA.id)) !== before) problems.push(`${key}: B's request changed A's rows`);

      // The positive control: the same request as A works (list routes and owned objects).
      if (c.kind === 'owned') {
        const asA = await send(a, route, c);
        if (asA.statusCode >= 300) problems.push(`${key}: A got ${asA.statusCode} (the positive control failed)`);
        if (c.isList && !fixture.tokenIdA) problems.push(`${key}: no fixture`);
      }
    }
    expect(problems).toEqual([]);
  });
});
});
