import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBrowser } from '../support/browser.js';
import type { RunningServer } from '../support/cli.js';
import type { TestUser } from '../support/dovecot.js';
import { addTestBedAccount, apiGet, pageTools, startSignedIn } from '../support/e2e.js';
import { describeWithDovecot } from '../support/testbed.js';

const USER = { username: 'erin', password: 'Copper-Heron-Valley-47' };
const GENERATED = 8;
/** A newsletter the built-in analyser tags as such: a suggestion to accept in the message view. */
const NEWSLETTER =
  'From: Shop News <news@shop.example>\r\nTo: erin@example.com\r\nSubject: Our autumn offers\r\nMessage-ID: <nl1@shop.example>\r\n' +
  'List-Id: <news.shop.example>\r\nList-Unsubscribe: <https://shop.example/unsubscribe>\r\nPrecedence: bulk\r\nDate: Tue, 24 Nov 2026 08:00:00 +0000\r\n\r\n' +
  'Dear customer, discover our autumn offers: 20% off everything this week. Unsubscribe from this newsletter at any time.\r\n';
const API_KEY = 'sk-e2e-never-shown-4711';

interface Detail {
  id: string;
  subject: string;
  tags?: { id: string; name: string }[];
  analysis: { status: string; suggestedTags?: { key: string; tagId: string | null }[] } | null;
}

describeWithBrowser('tags, settings, AI providers and the sync record', (b) => {
  describeWithDovecot('settings pages', 'full', (ctx) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-e2e-settings-'));
    let server: RunningServer;
    let context: BrowserContext;
    let page: Page;
    let mailbox: TestUser;
    let csrf = '';
    let accountId = '';

    const { heading, shot, audit } = pageTools(b);
    const api = <T>(url: string) => apiGet<T>({ server, context }, url);

    beforeAll(async () => {
      mailbox = ctx.server.createUser('erin');
      ctx.server.fillGenerated(mailbox, { seed: 41, count: GENERATED, kinds: ['plain'] });
      ctx.server.fillRaw(mailbox, 'INBOX', [Buffer.from(NEWSLETTER)]);
      const instance = await startSignedIn(b, dataDir, USER);
      ({ server, context, csrf } = instance);
      accountId = await addTestBedAccount(instance, ctx.server, mailbox);
      page = await context.newPage();
    });
    afterAll(async () => {
      await context?.close();
      await server?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('syncs the test bed and analyses every message', async () => {
      const sync = await context.request.post(`${server.url}/api/accounts/${accountId}/sync`, { headers: { 'x-csrf-token': csrf } });
      expect(sync.status()).toBe(202);
      await expect
        .poll(
          async () => {
            const { items } = await api<{ items: Detail[] }>('/api/messages?limit=200');
            return items.length === GENERATED + 1 && items.every((m) => m.analysis?.status === 'done');
          },
          { timeout: 60_000 },
        )
        .toBe(true);
    });

    it('tags: create one, it filters the list; rename, recolour, delete after a confirmation', async () => {
      await page.goto(`${server.url}/tags`);
      await heading(page, 'Tags');
      await page.getByText('No tags yet.', { exact: false }).waitFor();
      await page.getByTestId('tag-name').fill('Projekt X');
      await page.getByRole('button', { name: 'Create' }).click();
      const row = page.getByTestId('tag-row-Projekt X');
      await row.waitFor();
      expect(await row.locator('td.num').textContent()).toBe('0');
      const tag = (await api<{ items: { id: string; name: string; colour: string }[] }>('/api/tags')).items.find((x) => x.name === 'Projekt X')!;
      expect(tag).toBeTruthy();
      await shot(page, 'tags');
      await audit(page, 'tags');

      // The tag's link opens the list filtered by it; the filter shows the tag.
      await row.getByRole('link', { name: 'Projekt X' }).click();
      await heading(page, 'Messages');
      expect(new URL(page.url()).searchParams.get('tag')).toBe(tag.id);
      expect(await page.getByLabel('Tag').inputValue()).toBe(tag.id);
      expect(await page.getByLabel('Tag').locator('option:checked').textContent()).toBe('Projekt X');
      await page.getByText('No messages match these filters.').waitFor();

      // Rename and recolour.
      await page.goto(`${server.url}/tags`);
      await page.getByRole('button', { name: 'Rename: Projekt X' }).click();
      await page.getByLabel('New name for Projekt X').fill('Projekt Y');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByTestId('tag-row-Projekt Y').waitFor();
      await page.getByLabel('Colour of Projekt Y').fill('#aa3300');
      await expect.poll(async () => (await api<{ colour: string }>(`/api/tags/${tag.id}`)).colour, { timeout: 5_000 }).toBe('#aa3300');

      // Delete asks first: dismissing keeps the tag, accepting removes it.
      page.once('dialog', (d) => void d.dismiss());
      await page.getByRole('button', { name: 'Delete: Projekt Y' }).click();
      expect((await api<{ items: unknown[] }>('/api/tags')).items).toHaveLength(1);
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: 'Delete: Projekt Y' }).click();
      await page.getByText('No tags yet.', { exact: false }).waitFor();
      expect((await api<{ items: unknown[] }>('/api/tags')).items).toHaveLength(0);
    });

    it('a suggested tag is added with one click (and created, since the user has none of that name)', async () => {
      const { items } = await api<{ items: Detail[] }>('/api/messages?limit=200');
      const newsletter = items.find((m) => m.subject === 'Our autumn offers')!;
      const detail = await api<Detail>(`/api/messages/${newsletter.id}`);
      const suggestion = detail.analysis!.suggestedTags![0]!;
      expect(suggestion.tagId).toBeNull();
      await page.goto(`${server.url}/messages/${newsletter.id}`);
      await heading(page, 'Our autumn offers');
      const chip = page.getByTestId(`suggest-${suggestion.key}`);
      await chip.click();
      await chip.waitFor({ state: 'detached' });
      const after = await api<Detail>(`/api/messages/${newsletter.id}`);
      expect(after.tags!.map((x) => x.name)).toEqual([suggestion.key]);
      await audit(page, 'message view with tag');
      await page.goto(`${server.url}/tags`);
      expect(await page.getByTestId(`tag-row-${suggestion.key}`).locator('td.num').textContent()).toBe('1');
    });

    it('settings: a VIP pattern and an own domain are validated, listed and removed', async () => {
      await page.goto(`${server.url}/settings`);
      await heading(page, 'Settings');
      const vip = page.getByLabel('Address, pattern or domain');
      await vip.fill('not a pattern!');
      await page.getByRole('button', { name: 'Add' }).first().click();
      await page.getByText('Enter an address (anna@firma.ch), a pattern such as *@firma.ch').waitFor();
      await vip.fill('*@Firma.ch');
      await page.getByRole('button', { name: 'Add' }).first().click();
      await expect.poll(() => page.getByTestId('vip-list').textContent()).toContain('*@firma.ch');
      expect((await api<{ items: { pattern: string }[] }>('/api/settings/vip-senders')).items.map((x) => x.pattern)).toEqual(['*@firma.ch']);
      // The same pattern again: the server's 409 in words.
      await vip.fill('*@firma.ch');
      await page.getByRole('button', { name: 'Add' }).first().click();
      await page.getByText('This entry is in the list already.').waitFor();

      await page.getByLabel('Domain', { exact: true }).fill('firma.ch');
      await page.getByRole('button', { name: 'Add' }).nth(1).click();
      await expect.poll(() => page.getByTestId('domain-list').textContent()).toContain('firma.ch');
      await audit(page, 'settings with senders');
      await page.getByRole('button', { name: 'Delete firma.ch' }).click();
      await expect.poll(async () => (await api<{ items: unknown[] }>('/api/settings/own-domains')).items.length).toBe(0);
      // Each change re-queued the analysis (built-in only so far): let it finish before a provider is chosen.
      await expect
        .poll(async () => (await api<{ items: Detail[] }>('/api/messages?limit=200')).items.every((m) => m.analysis?.status === 'done'), { timeout: 30_000 })
        .toBe(true);
    });

    it('admin creates a provider (cloud, key never shown back); the user chooses it and sees the estimate', async () => {
      await page.goto(`${server.url}/admin/ai-providers`);
      await heading(page, 'AI providers');
      await page.getByText('Mail is anonymised before it is sent to cloud providers', { exact: false }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill('Nowhere');
      await page.getByLabel('Type').selectOption('openai-compatible');
      await page.getByLabel('Base URL').fill('http://192.0.2.1:9/v1');
      await page.getByLabel('API key').fill(API_KEY);
      await page.getByLabel('Models (one per line)').fill('small-model\nlarge-model');
      await page.getByLabel('Timeout (seconds)').fill('1');
      await page.getByRole('button', { name: 'Create' }).click();
      const row = page.getByTestId('provider-Nowhere');
      await row.waitFor();
      expect(await row.locator('.badge').textContent()).toBe('cloud');
      expect(await row.textContent()).toContain('Cloud: mail is anonymised before it is sent to this provider.');
      expect(await page.content()).not.toContain(API_KEY);
      const listed = await api<{ items: { id: string; hasApiKey: boolean; locality: string }[] }>('/api/admin/ai-providers');
      expect(listed.items).toHaveLength(1);
      expect(listed.items[0]).toMatchObject({ hasApiKey: true, locality: 'cloud' });
      expect(JSON.stringify(listed)).not.toContain(API_KEY);
      // Editing shows that a key is stored, never the key.
      await page.getByRole('button', { name: 'Edit Nowhere' }).click();
      await page.getByText('A key is stored; leave empty to keep it.').waitFor();
      expect(await page.getByLabel('API key').first().inputValue()).toBe('');
      await shot(page, 'admin-ai-providers');
      await audit(page, 'admin AI providers');
      await page.getByRole('button', { name: 'Cancel' }).click();

      await page.goto(`${server.url}/settings`);
      await heading(page, 'Settings');
      await page.getByTestId('ai-provider').selectOption({ label: 'Nowhere (cloud)' });
      await page.getByTestId('ai-model').selectOption('large-model');
      expect(await page.getByTestId('ai-locality').textContent()).toContain('your mail is anonymised before it is sent');
      await page.getByTestId('ai-provider').locator('xpath=ancestor::section').getByRole('button', { name: 'Save' }).click();
      await expect
        .poll(async () => api<{ providerId: string | null; model: string | null }>('/api/settings/ai'))
        .toMatchObject({ providerId: listed.items[0]!.id, model: 'large-model' });

      await page.getByRole('button', { name: 'Estimate' }).click();
      const estimate = page.getByTestId('reanalyse-estimate');
      await estimate.waitFor();
      expect(await estimate.textContent()).toMatch(new RegExp(`^${GENERATED + 1} messages, about [\\d,]+ tokens with Nowhere / large-model \\(cloud\\)`));
      await shot(page, 'settings-ai');
      await audit(page, 'settings AI');

      // Editing without typing a key keeps it; a locality set by the admin wins over the address.
      await page.goto(`${server.url}/admin/ai-providers`);
      await page.getByRole('button', { name: 'Edit Nowhere' }).click();
      await page.getByLabel('Locality').selectOption('local');
      await page.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => row.locator('.badge').textContent()).toBe('local');
      expect(await row.textContent()).toContain('set by an admin');
      expect((await api<{ items: { hasApiKey: boolean; localityOverride: string | null }[] }>('/api/admin/ai-providers')).items[0]).toMatchObject({
        hasApiKey: true,
        localityOverride: 'local',
      });
      await page.getByRole('button', { name: 'Edit Nowhere' }).click();
      await page.getByLabel('Locality').selectOption('');
      await page.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => row.locator('.badge').textContent()).toBe('cloud');
    });

    it('a user without admin rights chooses the provider in their settings and has no admin page', async () => {
      const bea = { username: 'bea', password: 'Silver-Otter-Harbour-83' };
      const created = await context.request.post(`${server.url}/api/admin/users`, { headers: { 'x-csrf-token': csrf }, data: { ...bea, role: 'user' } });
      expect(created.status(), await created.text()).toBe(201);
      const other = await b.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
      try {
        const login = await other.request.post(`${server.url}/api/auth/login`, { data: bea });
        expect(login.status()).toBe(200);
        const p = await other.newPage();
        await p.goto(`${server.url}/settings`);
        await heading(p, 'Settings');
        expect(await p.getByRole('navigation').getByRole('link', { name: 'AI providers' }).count()).toBe(0);
        await p.getByTestId('ai-provider').selectOption({ label: 'Nowhere (cloud)' });
        expect(await p.getByTestId('ai-locality').textContent()).toContain('your mail is anonymised before it is sent');
        await p.getByTestId('ai-provider').locator('xpath=ancestor::section').getByRole('button', { name: 'Save' }).click();
        await p.getByText('Saved.').waitFor();
        const choice = (await (await other.request.get(`${server.url}/api/settings/ai`)).json()) as { providerId: string | null; model: string | null };
        expect(choice.model).toBe('small-model');
        expect(choice.providerId).toBe((await api<{ items: { id: string }[] }>('/api/admin/ai-providers')).items[0]!.id);
        await p.goto(`${server.url}/admin/ai-providers`);
        await heading(p, 'Page not found');
        expect(await p.content()).not.toContain('192.0.2.1');
        expect(await b.cspViolations(p)).toEqual([]);
      } finally {
        await other.close();
      }
    });

    it('the account page shows the last sync run after "sync now", as the API records it', async () => {
      // One new message in the inbox: the run record must show it as new there.
      ctx.server.fillRaw(mailbox, 'INBOX', [
        Buffer.from('From: Kim <kim@example.net>\r\nTo: erin@example.com\r\nSubject: One more\r\nMessage-ID: <more1@example.net>\r\nDate: Wed, 25 Nov 2026 08:00:00 +0000\r\n\r\nHello again.\r\n'),
      ]);
      await page.goto(`${server.url}/accounts/${accountId}`);
      await heading(page, 'Test bed');
      await page.getByTestId('last-run').waitFor();
      await page.getByRole('button', { name: 'Sync now' }).click();
      await page.getByTestId('sync-result').waitFor({ timeout: 30_000 });
      const run = page.getByTestId('last-run');
      const inboxRow = run.getByRole('row').filter({ has: page.getByRole('cell', { name: 'INBOX', exact: true }) });
      // The page re-reads the account when the sync job completes: no reload.
      await expect.poll(async () => (await inboxRow.getByRole('cell').allTextContents())[2], { timeout: 10_000 }).toBe('1');
      type FolderRun = { path: string | null; new: number; changed: number; deleted: number; strategy: string };
      const account = await api<{ lastRun: { outcome: string; folders: FolderRun[] } }>(`/api/accounts/${accountId}`);
      expect(account.lastRun.outcome).toBe('ok');
      const inbox = account.lastRun.folders.find((f) => f.path === 'INBOX')!;
      expect(inbox.new).toBe(1);
      expect(await page.getByTestId('run-outcome').textContent()).toBe('Completed');
      const cells = await inboxRow.getByRole('cell').allTextContents();
      expect(cells.slice(0, 5)).toEqual(['INBOX', inbox.strategy.split('+').join(' + '), '1', String(inbox.changed), String(inbox.deleted)]);
      expect(await run.getByRole('row').count()).toBe(account.lastRun.folders.length + 1);
      await shot(page, 'account-last-run');
      await audit(page, 'account with last run');
    });

    it('re-analysis starts only after confirming the estimate', async () => {
      await page.goto(`${server.url}/settings`);
      const done = async () => (await api<{ items: Detail[] }>('/api/messages?limit=200')).items.filter((m) => m.analysis?.status === 'done').length;
      // Analysed before the provider was chosen: done. (The message synced since waits for the provider, which points at nothing.)
      expect(await done()).toBe(GENERATED + 1);
      await page.getByRole('button', { name: 'Estimate' }).click();
      const start = page.getByRole('button', { name: `Start the re-analysis of ${GENERATED + 2} messages` });
      await start.waitFor();
      // The estimate alone changes nothing.
      expect(await done()).toBe(GENERATED + 1);
      await start.click();
      await page.getByText(`${GENERATED + 2} messages are being analysed again.`).waitFor();
      // Every message is back in the analysis; the unreachable provider keeps them pending (their rating stays).
      expect(await done()).toBe(0);
    });

    it('fits a 375 px phone without horizontal scroll, in the dark theme too', async () => {
      const phone = await b.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, locale: 'en-US', colorScheme: 'dark', storageState: await context.storageState() });
      try {
        const p = await phone.newPage();
        const overflow = () => p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
        for (const [url, title, name] of [
          ['/tags', 'Tags', 'phone-tags'],
          ['/settings', 'Settings', 'phone-settings'],
          ['/admin/ai-providers', 'AI providers', 'phone-admin-ai'],
          [`/accounts/${accountId}`, 'Test bed', 'phone-account-run'],
        ] as const) {
          await p.goto(`${server.url}${url}`);
          await heading(p, title);
          await p.waitForLoadState('networkidle');
          await shot(p, name);
          expect(await overflow(), url).toBeLessThanOrEqual(0);
        }
        expect(await b.cspViolations(p)).toEqual([]);
      } finally {
        await phone.close();
      }
    });

    it('speaks German on a German browser', async () => {
      const german = await b.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 900 }, storageState: await context.storageState() });
      try {
        const p = await german.newPage();
        await p.goto(`${server.url}/tags`);
        await heading(p, 'Schlagwörter');
        await p.getByRole('columnheader', { name: 'Nachrichten' }).waitFor();
        await p.goto(`${server.url}/settings`);
        await heading(p, 'Einstellungen');
        await p.getByRole('heading', { name: 'VIP-Absender' }).waitFor();
        await p.getByRole('heading', { name: 'KI-Analyse' }).waitFor();
        await p.getByText('Deine Mails werden vor dem Senden anonymisiert', { exact: false }).waitFor();
        await p.goto(`${server.url}/admin/ai-providers`);
        await heading(p, 'KI-Anbieter');
        await p.getByText('Cloud: Mails werden vor dem Senden an diesen Anbieter anonymisiert.').waitFor();
        await p.goto(`${server.url}/accounts/${accountId}`);
        await p.getByRole('heading', { name: 'Letzter Synchronisierungslauf' }).waitFor();
        expect(await p.getByTestId('run-outcome').textContent()).toBe('Abgeschlossen');
        await audit(p, 'account page, German');
        expect(await b.cspViolations(p)).toEqual([]);
      } finally {
        await german.close();
      }
    });

    it('logged no console errors, uncaught exceptions or CSP violations', async () => {
      // The refused first VIP pattern and the duplicate are 4xx answers the browser logs: expected.
      const expected = (p: { kind: string; text: string }) => p.kind === 'console' && /status of (400|409)/.test(p.text) && /vip-senders/.test(p.text);
      expect(b.problems.filter((p) => !expected(p))).toEqual([]);
      expect(await b.cspViolations(page)).toEqual([]);
    });
  });
});
