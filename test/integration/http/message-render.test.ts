import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';
import { ALICE, BOB, TestClient } from '../../support/http-client.js';
import { HOSTILE_ATTACHMENT_HTML, HOSTILE_SUBJECT, hostileMessage, INLINE_PNG_BASE64 } from '../../support/mail/hostile.js';
import { createTestSync } from '../../support/sync.js';
import { describeWithDovecot } from '../../support/testbed.js';

const PASSWORD = 'render-imap-password';
const CANARY = 'http://127.0.0.2:9/pixel.gif';

describeWithDovecot('message render route', 'full', (bed) => {
  describeEachDialect('message render route', (ctx) => {
    let app: FastifyInstance;
    let alice: TestClient;
    let bob: TestClient;
    let messageId = '';
    let attachmentIndex = -1;

    beforeAll(async () => {
      const user = bed.server.createUser(`render-${ctx.dialect}`, PASSWORD);
      bed.server.fillRaw(user, 'INBOX', [hostileMessage({ canaryUrl: CANARY, to: `${user.name}@example.com`, messageId: `hostile-${ctx.dialect}@shop.example` })]);
      const built = await buildTestApp(ctx.handle, { ALLOW_PRIVATE_MAIL_HOSTS: '1' });
      app = built.app;
      const userId = (await built.services.users.create({ ...ALICE, role: 'user' }, 'cli')).id;
      await built.services.users.create({ ...BOB, role: 'user' }, 'cli');
      alice = new TestClient(app, '192.0.2.40');
      bob = new TestClient(app, '192.0.2.41');
      await alice.login(ALICE.username, ALICE.password);
      await bob.login(BOB.username, BOB.password);
      const created = await alice.post('/api/accounts', {
        name: 'Render',
        imap: { host: bed.server.host, port: bed.server.port, security: 'none', user: user.name, password: PASSWORD },
        initialWindow: { sinceDays: 36_500 },
      });
      expect(created.statusCode, created.body).toBe(201);
      await createTestSync({ db: ctx.db, crypto: built.crypto, accounts: built.accounts }).run(userId, created.json().id);
      const list = (await alice.get('/api/messages')).json() as { items: { id: string; subject: string }[] };
      messageId = list.items.find((m) => m.subject === HOSTILE_SUBJECT)!.id;
      const detail = (await alice.get(`/api/messages/${messageId}`)).json() as { attachments: { index: number; filename: string | null }[] };
      attachmentIndex = detail.attachments.find((a) => a.filename === 'x.html')!.index;
    });
    afterAll(async () => app?.close());

    it('serves the sanitised document with its own CSP: no script, a sandbox, framed by the app only', async () => {
      const res = await alice.get(`/api/messages/${messageId}/render`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toMatch(/(^|; )sandbox /);
      expect(csp).toContain("frame-ancestors 'self'");
      expect(csp).toContain('img-src data:;');
      expect(csp).not.toMatch(/script-src|allow-scripts|allow-same-origin/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      const body = res.body;
      expect(body).toContain('Dear customer, your invoice is attached.');
      for (const banned of ['<script', 'onerror', 'onload', 'javascript:', '<form', '<svg', '<iframe', '<object', 'evil.test', 'position:', 'z-index', '127.0.0.2']) {
        expect(body.toLowerCase(), banned).not.toContain(banned);
      }
      // The inline part is embedded, so the sandboxed frame needs no cookie to show it.
      expect(body).toContain(`src="data:image/png;base64,${INLINE_PNG_BASE64}"`);
    });

    it('allows remote images only with images=1; the detail counts what is held back', async () => {
      const detail = (await alice.get(`/api/messages/${messageId}`)).json() as { html: string; remoteImages: number; hasHtml: boolean };
      expect(detail.hasHtml).toBe(true);
      expect(detail.remoteImages).toBe(1);
      expect(detail.html).not.toContain('<script');
      expect(detail.html).not.toContain(CANARY);
      const res = await alice.get(`/api/messages/${messageId}/render?images=1`);
      expect(String(res.headers['content-security-policy'])).toContain('img-src data: https: http:;');
      expect(res.body).toContain(`src="${CANARY}"`);
      expect(res.body).not.toContain('<script');
    });

    it('serves x.html as a download, never as a page', async () => {
      const res = await alice.get(`/api/messages/${messageId}/attachments/${attachmentIndex}`);
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['content-disposition'])).toMatch(/^attachment; filename="x\.html"/);
      expect(String(res.headers['content-security-policy'])).toContain('sandbox');
      expect(res.body).toBe(HOSTILE_ATTACHMENT_HTML);
    });

    it('answers another user 404, after the owner succeeded', async () => {
      expect((await alice.get(`/api/messages/${messageId}/render`)).statusCode).toBe(200);
      const res = await bob.get(`/api/messages/${messageId}/render`);
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('invoice');
    });
  });
});
