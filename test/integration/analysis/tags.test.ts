import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { analysePending } from '../../../src/services/analysis/analyse-pending.js';
import type { Crypto } from '../../../src/crypto/crypto.js';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import { ALICE, BOB, TestClient } from '../../support/http-client.js';
import { createTestSync } from '../../support/sync.js';
import { addBedAccount, describeWithDovecot } from '../../support/testbed.js';

const PASSWORD = 'tags-imap-password';

interface Tag {
  id: string;
  name: string;
  colour: string;
  messageCount: number;
}
interface Summary {
  id: string;
  tags: Array<{ id: string; name: string; colour: string }>;
  analysis: { urgency: number; importance: number; source: string };
}

describeWithDovecot('tags', 'full', (bed) => {
  describeEachDialect('tags', (ctx) => {
    let app: FastifyInstance;
    let crypto: Crypto;
    let alice: TestClient;
    let bob: TestClient;
    let userId: string;
    let accountId: string;
    let ids: string[];

    const listIds = async (query: string) => {
      const res = await alice.get(`/api/messages?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().items as Summary[]).map((m) => m.id).sort();
    };
    const tagsOfMessage = async (id: string) => ((await alice.get(`/api/messages/${id}`)).json().tags as Tag[]).map((t) => t.name);

    beforeAll(async () => {
      const user = bed.server.createUser(`tags-${ctx.dialect}`, PASSWORD);
      bed.server.fillGenerated(user, { seed: 31, count: 12, kinds: ['plain', 'newsletter'] });
      const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' });
      app = built.app;
      crypto = built.crypto;
      userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
      await built.services.users.create({ ...BOB, role: 'user' }, 'cli');
      alice = new TestClient(app, '192.0.2.60');
      await alice.login(ALICE.username, ALICE.password);
      bob = new TestClient(app, '192.0.2.61');
      await bob.login(BOB.username, BOB.password);
      accountId = await addBedAccount(alice, bed.server, user, PASSWORD, 'Tags bed');
      await createTestSync({ db: ctx.db, crypto, accounts: built.accounts }).run(userId, accountId);
      await analysePending({ db: ctx.db, crypto, now: () => Date.parse('2026-06-01T08:00:00Z') }, userId, accountId);
      ids = await listIds(`account=${accountId}&limit=200`);
      expect(ids.length).toBeGreaterThan(5);
    });
    afterAll(async () => {
      await app?.close();
    });

    it('creates, lists, renames and recolours tags; names are unique per user in any letter case', async () => {
      const res = await alice.post('/api/tags', { name: '  Rechnung  ', colour: '#FF0000' });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ name: 'Rechnung', colour: '#ff0000', messageCount: 0 });
      const projekt = await alice.post('/api/tags', { name: 'Projekt Ä' });
      expect(projekt.statusCode).toBe(201);
      expect(projekt.json().colour).toMatch(/^#[0-9a-f]{6}$/);

      for (const name of ['rechnung', 'RECHNUNG', 'Rechnung ']) {
        const dup = await alice.post('/api/tags', { name });
        expect(dup.statusCode, name).toBe(409);
        expect(dup.json().error.code).toBe('TAG_NAME_TAKEN');
      }
      expect((await alice.post('/api/tags', { name: 'projekt ä' })).statusCode).toBe(409);
      expect((await alice.post('/api/tags', { name: '' })).statusCode).toBe(400);
      expect((await alice.post('/api/tags', { name: 'x'.repeat(65) })).statusCode).toBe(400);
      expect((await alice.post('/api/tags', { name: 'Farbe', colour: 'red' })).statusCode).toBe(400);
      // Another user may use the same name.
      expect((await bob.post('/api/tags', { name: 'Rechnung' })).statusCode).toBe(201);

      const renamed = await alice.patch(`/api/tags/${projekt.json().id}`, { name: 'Projekt B', colour: '#00aa00' });
      expect(renamed.statusCode, renamed.body).toBe(200);
      expect(renamed.json()).toMatchObject({ id: projekt.json().id, name: 'Projekt B', colour: '#00aa00' });
      // Renaming onto another tag's name is refused; renaming to a new letter case of its own name is fine.
      expect((await alice.patch(`/api/tags/${projekt.json().id}`, { name: 'RECHNUNG' })).statusCode).toBe(409);
      expect((await alice.patch(`/api/tags/${projekt.json().id}`, { name: 'projekt b' })).statusCode).toBe(200);

      const list = (await alice.get('/api/tags')).json().items as Tag[];
      expect(list.map((t) => t.name)).toEqual(['projekt b', 'Rechnung']);
      // Names are stored sealed; only their keyed hash is plain.
      const rows = await ctx.db.selectFrom('tags').select(['name']).where('user_id', '=', userId).execute();
      for (const r of rows) expect(Buffer.from(r.name).toString('latin1')).not.toMatch(/Rechnung|projekt/i);
    });

    it('assigns and removes tags on messages; lists filter by tag and carry tags on summaries and detail', async () => {
      const tags = (await alice.get('/api/tags')).json().items as Tag[];
      const rechnung = tags.find((t) => t.name === 'Rechnung');
      const projekt = tags.find((t) => t.name === 'projekt b');
      const [m1, m2, m3] = ids;
      for (const m of [m1, m2]) expect((await alice.post(`/api/messages/${m}/tags`, { tagId: rechnung!.id })).statusCode).toBe(200);
      // Assigning twice changes nothing.
      const again = await alice.post(`/api/messages/${m1}/tags`, { tagId: rechnung!.id });
      expect(again.json().tags.map((t: Tag) => t.name)).toEqual(['Rechnung']);
      const both = await alice.post(`/api/messages/${m1}/tags`, { tagId: projekt!.id });
      expect(both.json().tags.map((t: Tag) => t.name)).toEqual(['Rechnung', 'projekt b']);

      expect(await listIds(`tag=${rechnung!.id}&limit=200`)).toEqual([m1, m2].sort());
      expect(await listIds(`tag=${projekt!.id}&limit=200`)).toEqual([m1]);
      const summaries = (await alice.get(`/api/messages?tag=${rechnung!.id}`)).json().items as Summary[];
      expect(summaries.find((s) => s.id === m1)!.tags.map((t) => t.name)).toEqual(['Rechnung', 'projekt b']);
      expect(await tagsOfMessage(m3!)).toEqual([]);
      expect((await alice.get('/api/tags')).json().items.find((t: Tag) => t.id === rechnung!.id).messageCount).toBe(2);

      const removed = await alice.delete(`/api/messages/${m2}/tags/${rechnung!.id}`);
      expect(removed.statusCode).toBe(200);
      expect(removed.json().tags).toEqual([]);
      expect(await listIds(`tag=${rechnung!.id}`)).toEqual([m1]);
      expect((await alice.post(`/api/messages/${m3}/tags`, { tagId: '00000000-0000-7000-8000-000000000000' })).statusCode).toBe(404);
      expect((await alice.get('/api/messages?tag=nope')).statusCode).toBe(400);
    });

    it('a correction with tags sets exactly those tags; tags alone leave the rating alone', async () => {
      const tags = (await alice.get('/api/tags')).json().items as Tag[];
      const rechnung = tags.find((t) => t.name === 'Rechnung')!;
      const projekt = tags.find((t) => t.name === 'projekt b')!;
      const m = ids[4]!;
      const before = (await alice.get(`/api/messages/${m}`)).json().analysis;
      const res = await alice.post(`/api/messages/${m}/correction`, { tags: [projekt.id, rechnung.id] });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().tags.map((t: Tag) => t.id).sort()).toEqual([projekt.id, rechnung.id].sort());
      expect(res.json().analysis).toMatchObject({ urgency: before.urgency, importance: before.importance, source: 'builtin' });
      expect(await listIds(`tag=${projekt.id}`)).toContain(m);

      const rated = await alice.post(`/api/messages/${m}/correction`, { tags: [rechnung.id], urgency: 3, importance: 3 });
      expect(rated.json().analysis).toMatchObject({ urgency: 3, importance: 3, source: 'user' });
      expect(rated.json().tags.map((t: Tag) => t.name)).toEqual(['Rechnung']);
      expect(await listIds(`tag=${projekt.id}`)).not.toContain(m);
      const stored = await ctx.db.selectFrom('message_corrections').select(['tag_ids', 'urgency']).where('message_id', '=', m).orderBy('created_at').execute();
      expect(stored.map((r) => [r.tag_ids ? JSON.parse(r.tag_ids) : null, r.urgency])).toEqual([
        [[projekt.id, rechnung.id], null],
        [[rechnung.id], 3],
      ]);
      // An unknown tag (or another user's) is refused and changes nothing.
      const bobTag = ((await bob.get('/api/tags')).json().items as Tag[])[0]!;
      expect((await alice.post(`/api/messages/${m}/correction`, { tags: [bobTag.id] })).statusCode).toBe(404);
      expect(await tagsOfMessage(m)).toEqual(['Rechnung']);
      // Suggestions stay suggestions: keys with the id of a matching tag, if the user has one.
      const detail = (await alice.get(`/api/messages/${m}`)).json();
      expect(Array.isArray(detail.analysis.suggestedTags)).toBe(true);
      for (const s of detail.analysis.suggestedTags as Array<{ key: string; tagId: string | null }>) expect(typeof s.key).toBe('string');
      expect((await alice.post(`/api/messages/${m}/correction`, { tags: ['x'] })).statusCode).toBe(400);
    });

    it('suggested tags point at the user tag of the same name', async () => {
      const rows = await ctx.db.selectFrom('messages').select('id').where('account_id', '=', accountId).execute();
      let key: string | null = null;
      let messageId = '';
      for (const r of rows) {
        const s = (await alice.get(`/api/messages/${r.id}`)).json().analysis.suggestedTags as Array<{ key: string; tagId: string | null }>;
        if (s.length > 0) {
          key = s[0]!.key;
          messageId = r.id;
          expect(s[0]!.tagId).toBeNull();
          break;
        }
      }
      // The generated newsletters are suggested the key `newsletter`.
      expect(key).not.toBeNull();
      const tag = (await alice.post('/api/tags', { name: key!.toUpperCase() })).json() as Tag;
      const after = (await alice.get(`/api/messages/${messageId}`)).json();
      expect(after.analysis.suggestedTags[0]).toEqual({ key, tagId: tag.id });
      // Still only a suggestion until accepted.
      expect(after.tags.map((t: Tag) => t.id)).not.toContain(tag.id);
    });

    it("another user can neither see, change, delete nor assign a user's tags", async () => {
      const tag = ((await alice.get('/api/tags')).json().items as Tag[]).find((t) => t.name === 'Rechnung')!;
      expect(((await bob.get('/api/tags')).json().items as Tag[]).map((t) => t.id)).not.toContain(tag.id);
      expect((await bob.get(`/api/tags/${tag.id}`)).statusCode).toBe(404);
      expect((await bob.patch(`/api/tags/${tag.id}`, { name: 'mine' })).statusCode).toBe(404);
      expect((await bob.delete(`/api/tags/${tag.id}`)).statusCode).toBe(404);
      expect((await bob.post(`/api/messages/${ids[0]}/tags`, { tagId: tag.id })).statusCode).toBe(404);
      expect((await bob.delete(`/api/messages/${ids[0]}/tags/${tag.id}`)).statusCode).toBe(404);
      expect((await bob.get(`/api/messages?tag=${tag.id}`)).json().items).toEqual([]);
      expect((await alice.get(`/api/tags/${tag.id}`)).json()).toMatchObject({ name: 'Rechnung' });
    });

    it('deleting a tag removes its assignments', async () => {
      const tag = ((await alice.get('/api/tags')).json().items as Tag[]).find((t) => t.name === 'Rechnung')!;
      expect((await listIds(`tag=${tag.id}`)).length).toBeGreaterThan(0);
      expect((await alice.delete(`/api/tags/${tag.id}`)).statusCode).toBe(204);
      expect((await alice.get(`/api/tags/${tag.id}`)).statusCode).toBe(404);
      expect(await listIds(`tag=${tag.id}`)).toEqual([]);
      const left = await ctx.db.selectFrom('message_tags').select('message_id').where('tag_id', '=', tag.id).execute();
      expect(left).toEqual([]);
      for (const id of ids.slice(0, 5)) expect(await tagsOfMessage(id)).not.toContain('Rechnung');
      expect((await alice.delete(`/api/tags/${tag.id}`)).statusCode).toBe(404);
    });
  });
});
