import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBrowser } from '../support/browser.js';
import type { RunningServer } from '../support/cli.js';
import type { TestUser } from '../support/dovecot.js';
import { apiGet, pageTools, startSignedIn } from '../support/e2e.js';
import { describeWithDovecot } from '../support/testbed.js';

const USER = { username: 'carla', password: 'Silver-Otter-Ferry-52' };
const MESSAGES = 36;

interface ApiAccount {
  id: string;
  syncState: string;
  lastSyncAt: number | null;
}
interface ApiFolder {
  name: string;
  synced: boolean;
  messages: number;
}

describeWithBrowser('accounts pages', (b) => {
  describeWithDovecot('accounts pages', 'full', (ctx) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-e2e-accounts-'));
    let server: RunningServer;
    let context: BrowserContext;
    let page: Page;
    let mailbox: TestUser;
    let accountId = '';

    const { heading, shot, audit } = pageTools(b);
    const api = <T>(url: string) => apiGet<T>({ server, context }, url);

    beforeAll(async () => {
      mailbox = ctx.server.createUser('carla');
      // Plain messages only, so every one of them is stored; they spread over several folders.
      ctx.server.fillGenerated(mailbox, { seed: 14, count: MESSAGES, kinds: ['plain'] });
      ({ server, context } = await startSignedIn(b, dataDir, USER));
      page = await context.newPage();
    });
    afterAll(async () => {
      await context?.close();
      await server?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('adds an account: the TLS stage shows the certificate, trusting it makes the test pass, saving lists the folders', async () => {
      await page.goto(`${server.url}/accounts`);
      await heading(page, 'Mail accounts');
      await page.getByText('No account yet. Add one to start syncing your mail.').waitFor();
      await audit(page, 'accounts empty');
      await page.getByRole('link', { name: 'Add account' }).click();
      await heading(page, 'Add a mail account');

      // A preset fills the server and shows what the provider needs first.
      await page.getByLabel('Provider').selectOption('posteo');
      expect(await page.getByLabel('IMAP server').inputValue()).toBe('posteo.de');
      expect(await page.getByLabel('Port').inputValue()).toBe('993');
      expect(await page.getByTestId('preset-note').textContent()).toMatch(/password/i);
      await audit(page, 'account new with preset');

      await page.getByLabel('Provider').selectOption('');
      await page.getByLabel('Name', { exact: true }).fill('Test bed');
      await page.getByLabel('User name').fill(mailbox.name);
      await page.getByLabel('Password').fill(mailbox.password);
      await page.getByLabel('IMAP server').fill(ctx.server.host);
      await page.getByLabel('Port').fill(String(ctx.server.tlsPort));
      await page.getByLabel('Security').selectOption('tls');
      await page.getByLabel('First sync: mail of the last (days)').fill('36500');
      await page.getByRole('button', { name: 'Test connection' }).click();

      const result = page.getByTestId('test-result');
      await result.getByText('The connection failed at: encryption (TLS).').waitFor({ timeout: 15_000 });
      const expected = new X509Certificate(ctx.server.certPem).fingerprint256;
      expect(await page.getByTestId('cert-fingerprint').textContent()).toBe(expected);
      await page.getByTestId('certificate').getByText('Self-signed').waitFor();
      await shot(page, 'account-certificate');
      await audit(page, 'account certificate');

      await page.getByRole('button', { name: 'Trust this certificate' }).click();
      await result.getByText('The connection works: login accepted.').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('pinned-certificate').textContent()).toContain(expected);

      await page.getByRole('button', { name: 'Save account' }).click();
      await heading(page, 'Test bed');
      accountId = /\/accounts\/([0-9a-f-]{36})$/.exec(page.url())?.[1] ?? '';
      expect(accountId).not.toBe('');
      const folders = await api<ApiFolder[]>(`/api/accounts/${accountId}/folders`);
      expect(folders.length).toBeGreaterThan(2);
      const table = page.getByRole('table', { name: 'Folders' });
      await table.getByRole('cell', { name: 'INBOX', exact: true }).waitFor();
      expect(await table.getByRole('row').count()).toBe(folders.length + 1);
      for (const f of folders) expect(await page.getByRole('checkbox', { name: `Sync ${f.name}`, exact: true }).isChecked(), f.name).toBe(f.synced);
      await shot(page, 'account-detail');
      await audit(page, 'account detail');
    });

    it('"sync now" shows live progress and ends idle with a last sync time and the stored count', async () => {
      // The bar can come and go within one poll: a MutationObserver in the page records it.
      await page.evaluate(`window.__bars = [];
        new MutationObserver(() => {
          const bar = document.querySelector('[data-testid="sync-progress"] progress[value]');
          if (bar) window.__bars.push(bar.getAttribute('value') + '/' + bar.getAttribute('max'));
        }).observe(document.body, { subtree: true, childList: true, attributes: true });`);
      await page.getByRole('button', { name: 'Sync now' }).click();
      const done = page.getByTestId('sync-result');
      await done.waitFor({ timeout: 20_000 });
      const bars = await page.evaluate<string[]>('window.__bars');
      expect(bars.length).toBeGreaterThan(0);
      expect(bars.at(-1)).toMatch(/^(\d+)\/\1$/);

      // The account is read again when the job completes: idle, with a last sync time.
      await page.getByText('Idle', { exact: true }).waitFor();
      await expect.poll(() => page.getByTestId('last-sync').textContent()).not.toBe('never');
      const account = await api<ApiAccount>(`/api/accounts/${accountId}`);
      expect(account.syncState).toBe('idle');
      expect(account.lastSyncAt).not.toBeNull();
      expect(await done.textContent()).toBe(`Sync finished: ${MESSAGES} messages fetched, ${MESSAGES} stored.`);
      await shot(page, 'account-synced');
      await audit(page, 'account synced');

      await page.getByRole('link', { name: '← All accounts' }).click();
      await heading(page, 'Mail accounts');
      const card = page.getByTestId('account');
      await card.getByText('Idle', { exact: true }).waitFor();
      expect(await card.getByRole('link', { name: 'Test bed' }).count()).toBe(1);
      await audit(page, 'accounts list');
    });

    it('fits a 375 px phone without horizontal scroll', async () => {
      const phone = await b.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, locale: 'en-US', storageState: await context.storageState() });
      try {
        const p = await phone.newPage();
        const overflow = () => p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
        for (const [url, title] of [
          ['/accounts', 'Mail accounts'],
          [`/accounts/${accountId}`, 'Test bed'],
          ['/accounts/new', 'Add a mail account'],
        ] as const) {
          await p.goto(`${server.url}${url}`);
          await heading(p, title);
          await p.waitForLoadState('networkidle');
          expect(await overflow(), url).toBeLessThanOrEqual(0);
        }
        // The widest part: the failed TLS test with the certificate.
        await p.getByLabel('User name').fill(mailbox.name);
        await p.getByLabel('Password').fill(mailbox.password);
        await p.getByLabel('IMAP server').fill(ctx.server.host);
        await p.getByLabel('Port').fill(String(ctx.server.tlsPort));
        await p.getByRole('button', { name: 'Test connection' }).click();
        await p.getByTestId('certificate').waitFor({ timeout: 15_000 });
        await shot(p, 'phone-account-certificate');
        expect(await overflow()).toBeLessThanOrEqual(0);
        expect(await b.cspViolations(p)).toEqual([]);
      } finally {
        await phone.close();
      }
    });

    it('edits the account and deletes it locally after confirming', async () => {
      await page.goto(`${server.url}/accounts/${accountId}`);
      await heading(page, 'Test bed');
      await page.getByLabel('Name', { exact: true }).fill('Work mail');
      await page.getByLabel('Sync every (minutes)').fill('15');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await heading(page, 'Work mail');
      expect(await page.getByLabel('Sync every (minutes)').inputValue()).toBe('15');

      // A new password is tested before it is stored; a wrong one is refused with the stage.
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByTestId('test-result').getByText('The connection failed at: login.').waitFor({ timeout: 15_000 });
      await audit(page, 'account detail, login refused');
      await page.getByLabel('Password').fill('');

      await page.getByText('The mail on your mail server is not touched.', { exact: false }).waitFor();
      let question = '';
      page.once('dialog', (d) => {
        question = d.message();
        void d.accept();
      });
      await page.getByRole('button', { name: 'Delete account' }).click();
      await heading(page, 'Mail accounts');
      expect(question).toBe('Delete "Work mail" from this app? The mail on the server stays where it is.');
      await page.getByText('No account yet. Add one to start syncing your mail.').waitFor();
      expect((await api<{ items: unknown[] }>('/api/accounts')).items).toEqual([]);
      // Local only: the mailbox on the server still holds every message.
      const onServer = ctx.server.status(mailbox, 'INBOX').messages;
      expect(onServer).toBeGreaterThan(0);
      expect(await b.cspViolations(page)).toEqual([]);
    });

    it('logged no console errors, uncaught exceptions or CSP violations', () => {
      // The one expected entry: the browser logs the refused save (422) of the wrong password.
      const expected = (p: { kind: string; text: string }) => p.kind === 'console' && /status of 422/.test(p.text) && p.text.endsWith(`/api/accounts/${accountId}`);
      expect(b.problems.filter((p) => !expected(p))).toEqual([]);
      expect(b.problems.length).toBe(1);
    });
  });
});
