import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { totpAt } from '../../src/services/auth/totp.js';
import { describeWithBrowser } from '../support/browser.js';
import { ensureWebBuilt } from '../support/build.js';
import { freePort, startServer, type RunningServer } from '../support/cli.js';
import { pageTools, screenshots } from '../support/e2e.js';

const ADMIN = { username: 'admin', password: 'Quiet-Harbour-Lantern-47' };
const INVITEE = { username: 'bob', password: 'Orange-Meadow-Compass-83' };

/** Pages an admin can reach, with the heading each must show in English. */
const ADMIN_PAGES: [string, string][] = [
  ['/', 'Priority matrix'],
  ['/accounts', 'Mail accounts'],
  ['/settings', 'Settings'],
  ['/admin/users', 'Users'],
  ['/admin/invitations', 'Invitations'],
  ['/admin/audit', 'Audit log'],
  ['/admin/jobs', 'Jobs'],
  ['/tags', 'Tags'],
  ['/admin/ai-providers', 'AI providers'],
];

describeWithBrowser('web UI end to end', (b) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-e2e-'));
  let server: RunningServer;
  let admin: BrowserContext;
  let page: Page;
  let secret = '';
  let recoveryCodes: string[] = [];

  const { heading, shot, audit } = pageTools(b);

  beforeAll(async () => {
    ensureWebBuilt();
    fs.mkdirSync(screenshots, { recursive: true });
    const port = await freePort();
    // The default 2FA policy (`required`) is what a real instance runs with.
    server = await startServer(['serve', '--port', String(port)], { DATA_DIR: dataDir }, port);
    admin = await b.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
    page = await admin.newPage();
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the app with the right caching and falls back to it for client routes only', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    expect((await fetch(`${server.url}${asset}`)).headers.get('cache-control')).toContain('immutable');
    const deep = await fetch(`${server.url}/admin/users`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
    expect((await fetch(`${server.url}/api/nothing-here`)).headers.get('content-type')).toContain('application/json');
    expect((await fetch(`${server.url}/assets/missing-file.js`)).status).toBe(404);
  });

  it('first-run setup creates the admin and lands signed in on 2FA enrolment, which shows 10 recovery codes', async () => {
    await page.goto(`${server.url}/`);
    await heading(page, 'Set up KI-Mail-Helper');
    await shot(page, 'setup');
    await audit(page, 'setup');
    await page.getByLabel('User name').fill(ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Repeat password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();

    await heading(page, 'Set up two-factor sign-in');
    await page.getByRole('button', { name: 'Show QR code' }).click();
    const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(await qr.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth > 0)).toBe(true);
    await shot(page, 'enrol');
    await audit(page, 'enrol');
    secret = (await page.getByTestId('totp-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.getByLabel('Code').fill(totpAt(secret, Date.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();

    const codes = page.getByRole('list', { name: 'Your recovery codes' }).getByRole('listitem');
    await codes.first().waitFor();
    expect(await codes.count()).toBe(10);
    recoveryCodes = await codes.allTextContents();
    await shot(page, 'recovery-codes');
    await audit(page, 'recovery-codes');
    await page.getByRole('button', { name: 'I have stored them' }).click();
    await page.getByTestId('twofa-status').getByText('On — 10 recovery codes left.', { exact: true }).waitFor();
  });

  it('logs out, and back in with password and a code', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading(page, 'Sign in');
    await shot(page, 'login');
    await audit(page, 'login');
    await page.getByLabel('User name').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'Two-factor sign-in');
    await shot(page, 'two-factor');
    await audit(page, 'two-factor');
    // The enrolment used this step's code, and a code works once: take the next step's (inside the window).
    await page.getByLabel('Code').fill(totpAt(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await heading(page, 'Priority matrix');
  });

  it('shows every admin page', async () => {
    for (const [url, title] of ADMIN_PAGES) {
      await page.goto(`${server.url}${url}`);
      await heading(page, title);
      await page.waitForLoadState('networkidle');
      await shot(page, `desktop${url === '/' ? '-home' : url.replaceAll('/', '-')}`);
      expect(await b.cspViolations(page), url).toEqual([]);
      await audit(page, url);
    }
  });

  it('an admin invites; a second browser accepts and lands on enrolment', async () => {
    await page.goto(`${server.url}/admin/invitations`);
    await page.getByRole('button', { name: 'Create' }).click();
    const link = (await page.getByTestId('invitation-link').textContent()) ?? '';
    expect(link).toMatch(new RegExp(`^${server.url}/invite#[\\w-]{20,}$`));
    await audit(page, 'invitation created');

    const guest = await b.newContext({ locale: 'en-US' });
    try {
      const other = await guest.newPage();
      await other.goto(link);
      await other.getByText('You were invited as User. Choose your user name and password.').waitFor();
      // The token is read once and dropped from the address bar.
      expect(new URL(other.url()).hash).toBe('');
      await shot(other, 'invite');
      await audit(other, 'invite');
      await other.getByLabel('User name').fill(INVITEE.username);
      await other.getByLabel('Password').fill(INVITEE.password);
      await other.getByRole('button', { name: 'Create my account' }).click();
      await heading(other, 'Set up two-factor sign-in');
      expect(await b.cspViolations(other)).toEqual([]);
    } finally {
      await guest.close();
    }
    await page.reload();
    await page.getByRole('cell', { name: 'accepted', exact: true }).waitFor();
  });

  it('asks for the password again when the server wants a step-up, then retries the change', async () => {
    await page.goto(`${server.url}/settings`);
    await heading(page, 'Settings');
    // The sign-in a moment ago counts as recent; make the server's answer the one it gives five minutes later.
    let refused = false;
    await page.route('**/api/tokens', async (route) => {
      if (route.request().method() !== 'POST' || refused) return route.fallback();
      refused = true;
      await route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ error: { code: 'STEP_UP_REQUIRED', message: 'again', details: {} } }) });
    });
    await page.getByLabel('Name').fill('backup script');
    await page.getByRole('button', { name: 'Create' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.waitFor();
    await audit(page, 'step-up dialog');
    await dialog.getByLabel('Password').fill(ADMIN.password);
    await dialog.getByLabel('Code or recovery code').fill(recoveryCodes[0]!);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    const token = (await page.getByTestId('new-token').textContent()) ?? '';
    await page.unroute('**/api/tokens');
    expect(refused).toBe(true);
    const me = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { username: string }).username).toBe(ADMIN.username);
    await page.getByRole('cell', { name: 'backup script' }).waitFor();
    await audit(page, 'new token shown');
  });

  it('switches the language between German and English, and remembers it on the account', async () => {
    await page.goto(`${server.url}/settings`);
    await heading(page, 'Settings');
    await page.getByRole('combobox', { name: 'Language' }).first().selectOption('de');
    await heading(page, 'Einstellungen');
    expect(await page.getByRole('link', { name: 'Konten' }).count()).toBe(1);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    await expect.poll(() => page.evaluate<string>("fetch('/api/me').then((r) => r.json()).then((me) => me.language)")).toBe('de');
    await page.reload();
    await heading(page, 'Einstellungen');
    await page.getByRole('combobox', { name: 'Sprache' }).first().selectOption('en');
    await heading(page, 'Settings');
    expect(await page.getByRole('link', { name: 'Accounts' }).count()).toBe(1);
  });

  it('toggles dark and light themes, and follows the system by default', async () => {
    const background = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    const light = 'rgb(246, 247, 249)';
    const dark = 'rgb(20, 23, 28)';
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await background()).toBe(light);
    await page.getByRole('combobox', { name: 'Theme' }).selectOption('dark');
    expect(await background()).toBe(dark);
    await shot(page, 'dark-settings');
    await page.reload();
    await expect.poll(background).toBe(dark);
    await page.getByRole('combobox', { name: 'Theme' }).selectOption('light');
    expect(await background()).toBe(light);
    await page.getByRole('combobox', { name: 'Theme' }).selectOption('system');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).toBe(dark);
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('has no horizontal scroll on a 375 px phone, signed in or out; the menu folds away', async () => {
    const phoneView = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true };
    const overflow = (p: Page) => p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    const phone = await b.newContext({ ...phoneView, locale: 'en-US', storageState: await admin.storageState() });
    try {
      const p = await phone.newPage();
      for (const [url, title] of ADMIN_PAGES) {
        await p.goto(`${server.url}${url}`);
        await heading(p, title);
        await p.waitForLoadState('networkidle');
        await shot(p, `phone${url === '/' ? '-home' : url.replaceAll('/', '-')}`);
        // Wide tables scroll sideways only here.
        await audit(p, `phone ${url}`);
        expect(await overflow(p), url).toBeLessThanOrEqual(0);
      }
      const settingsLink = p.getByRole('link', { name: 'Settings' });
      expect(await settingsLink.isVisible()).toBe(false);
      await p.getByRole('button', { name: 'Main navigation' }).click();
      await audit(p, 'phone menu open');
      await settingsLink.click();
      await heading(p, 'Settings');
    } finally {
      await phone.close();
    }
    // A new visitor with a German browser gets German by default.
    const visitor = await b.newContext({ ...phoneView, locale: 'de-DE' });
    try {
      const p = await visitor.newPage();
      await p.goto(`${server.url}/`);
      await heading(p, 'Anmelden');
      await shot(p, 'phone-login-de');
      expect(await overflow(p)).toBeLessThanOrEqual(0);
    } finally {
      await visitor.close();
    }
  });

  it('logged no console errors, uncaught exceptions or CSP violations on any page', () => {
    const expected = (p: { kind: string; text: string }) =>
      p.kind === 'console' &&
      // The step-up test's staged refusal.
      /status of 403/.test(p.text) &&
      p.text.endsWith('/api/tokens');
    const unexpected = b.problems.filter((p) => !expected(p));
    expect(unexpected).toEqual([]);
  });
});
