import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBrowser } from '../support/browser.js';
import type { RunningServer } from '../support/cli.js';
import type { TestUser } from '../support/dovecot.js';
import { addTestBedAccount, apiGet, pageTools, startSignedIn } from '../support/e2e.js';
import { HOSTILE_SUBJECT, hostileMessage } from '../support/mail/hostile.js';
import { describeWithDovecot } from '../support/testbed.js';

const USER = { username: 'dora', password: 'Amber-Falcon-Meadow-61' };
const GENERATED = 24;

/** A question and its answer: one thread of two. */
const THREAD = [
  'From: Lena Vogt <lena@example.org>\r\nTo: dora@example.com\r\nSubject: Quarterly numbers\r\nMessage-ID: <q1@example.org>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\r\nCould you send the quarterly numbers?\r\n',
  'From: Dora <dora@example.com>\r\nTo: Lena Vogt <lena@example.org>\r\nSubject: Re: Quarterly numbers\r\nMessage-ID: <q2@example.com>\r\nIn-Reply-To: <q1@example.org>\r\nReferences: <q1@example.org>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nHere they are.\r\n',
];

interface Cell {
  urgency: number;
  importance: number;
  count: number;
  top: { id: string; subject: string }[];
}
interface Summary {
  id: string;
  subject: string;
  done: boolean;
  isCalendar: boolean;
  threadId: string;
  analysis: { urgency: number | null; importance: number | null; status: string } | null;
}

/** A stand-in remote server on another loopback address: it records every request for the tracking pixel. */
async function startCanary(): Promise<{ url: string; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/gif' }).end(Buffer.from('R0lGODlhAQABAAAAACH5BAEAAAAALAAAAAABAAEAAAIBAAA=', 'base64'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.2:${port}/pixel.gif?m=hostile`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describeWithBrowser('mail pages', (b) => {
  describeWithDovecot('mail pages', 'full', (ctx) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-e2e-mail-'));
    let server: RunningServer;
    let context: BrowserContext;
    let page: Page;
    let mailbox: TestUser;
    let canary: Awaited<ReturnType<typeof startCanary>>;
    let csrf = '';
    /** The message the correction step moved, for the done step. */
    let corrected: { id: string; subject: string; cell: string; counts: Record<string, number> } | undefined;

    const { heading, shot, audit } = pageTools(b);
    const api = <T>(url: string) => apiGet<T>({ server, context }, url);
    const allMessages = async () => (await api<{ items: Summary[] }>('/api/messages?limit=200')).items;
    const cellCounts = (cells: Cell[]) => Object.fromEntries(cells.map((c) => [`${c.urgency}-${c.importance}`, c.count]));
    const pageCounts = async () => {
      const out: Record<string, number> = {};
      for (const u of [1, 2, 3]) for (const i of [1, 2, 3]) out[`${u}-${i}`] = Number(await page.getByTestId(`count-${u}-${i}`).textContent());
      return out;
    };
    const mailFrame = async (): Promise<Frame> => {
      const handle = await page.getByTestId('mail-frame').elementHandle();
      const frame = await handle!.contentFrame();
      await frame!.waitForLoadState('load');
      return frame!;
    };

    beforeAll(async () => {
      canary = await startCanary();
      mailbox = ctx.server.createUser('dora');
      ctx.server.fillGenerated(mailbox, { seed: 31, count: GENERATED, kinds: ['plain'] });
      ctx.server.fillGenerated(mailbox, { seed: 32, count: 1, start: GENERATED, kinds: ['calendar-request'] });
      ctx.server.fillRaw(mailbox, 'INBOX', THREAD.map((m) => Buffer.from(m)));
      ctx.server.fillRaw(mailbox, 'INBOX', [hostileMessage({ canaryUrl: canary.url, to: 'dora@example.com', messageId: 'hostile-e2e@shop.example' })]);
      const instance = await startSignedIn(b, dataDir, USER);
      ({ server, context, csrf } = instance);
      await addTestBedAccount(instance, ctx.server, mailbox);
      page = await context.newPage();
    });
    afterAll(async () => {
      await context?.close();
      await server?.stop();
      await canary?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('sync → the matrix shows the counts the API gives, live, and a cell opens the list', async () => {
      await page.goto(`${server.url}/`);
      await heading(page, 'Priority matrix');
      // Before the first sync: an empty matrix says why.
      await page.getByText(/^Nothing open: /).waitFor();
      const accountId = ((await api<{ items: { id: string }[] }>('/api/accounts')).items[0]!).id;
      const sync = await context.request.post(`${server.url}/api/accounts/${accountId}/sync`, { headers: { 'x-csrf-token': csrf } });
      expect(sync.status()).toBe(202);
      // Sync, then analysis (a job the sync enqueues): wait until every message has its analysis.
      await expect
        .poll(async () => {
          const items = await allMessages();
          return items.length === GENERATED + 2 + THREAD.length && items.every((m) => m.analysis?.status === 'done');
        }, { timeout: 60_000 })
        .toBe(true);
      const cells = (await api<{ cells: Cell[] }>('/api/dashboard')).cells;
      const expected = cellCounts(cells);
      expect(Object.values(expected).reduce((a, c) => a + c, 0)).toBeGreaterThan(0);
      // The page updates itself (job events); no reload.
      await expect.poll(pageCounts, { timeout: 15_000 }).toEqual(expected);
      await shot(page, 'dashboard');
      await audit(page, 'dashboard');

      const busiest = [...cells].sort((a, c) => c.count - a.count)[0]!;
      await page.getByTestId(`cell-${busiest.urgency}-${busiest.importance}`).getByRole('link').first().click();
      await heading(page, 'Messages');
      expect(new URL(page.url()).searchParams.get('cell')).toBe(`${busiest.urgency},${busiest.importance}`);
      await expect.poll(() => page.getByTestId('message-list').getByRole('listitem').count()).toBe(busiest.count);
      await shot(page, 'message-list');
      await audit(page, 'message list');

      // Filters live in the address and ask the API: unread and sorted by priority, then an empty result.
      await page.goto(`${server.url}/messages`);
      await page.getByLabel('Unread').selectOption('1');
      await page.getByLabel('Sort by').selectOption('score');
      const unread = (await api<{ items: Summary[] }>('/api/messages?unread=1&sort=score&limit=200')).items;
      expect(unread.length).toBeGreaterThan(0);
      await expect.poll(() => page.getByTestId('message-list').getByRole('listitem').count()).toBe(unread.length);
      expect(await page.getByTestId('message-list').getByRole('listitem').first().getByRole('link').textContent()).toBe(unread[0]!.subject);
      await page.getByTestId('filter-since').fill('2099-01-01');
      await page.getByText('No messages match these filters.').waitFor();
      await audit(page, 'message list empty');
    });

    it('keyboard: j/k move, o opens, g d and g l switch pages, ? shows the help', async () => {
      await page.goto(`${server.url}/messages`);
      await heading(page, 'Messages');
      const rows = page.getByTestId('message-list').getByRole('listitem');
      await rows.first().waitFor();
      await page.keyboard.press('j');
      await page.keyboard.press('j');
      await page.keyboard.press('k');
      const second = await rows.nth(1).getByRole('link').textContent();
      expect(await rows.nth(1).getAttribute('aria-current')).toBe('true');
      await page.keyboard.press('o');
      await heading(page, second!);
      await page.keyboard.press('g');
      await page.keyboard.press('l');
      await heading(page, 'Messages');
      await page.keyboard.press('?');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
      await audit(page, 'keyboard help');
      await page.getByRole('button', { name: 'Close' }).click();
      await page.keyboard.press('g');
      await page.keyboard.press('d');
      await heading(page, 'Priority matrix');
    });

    it('open a message → correct its urgency → the matrix moves it', async () => {
      const cells = (await api<{ cells: Cell[] }>('/api/dashboard')).cells;
      const from = cells.find((c) => c.urgency === 1 && c.top.length > 0) ?? cells.find((c) => c.top.length > 0)!;
      const target = from.top[0]!;
      const newUrgency = from.urgency === 3 ? 1 : 3;
      await page.goto(`${server.url}/`);
      await heading(page, 'Priority matrix');
      await page.getByTestId(`cell-${from.urgency}-${from.importance}`).getByRole('link', { name: target.subject, exact: true }).click();
      await heading(page, target.subject);
      await page.getByTestId('reasons').or(page.getByTestId('analysis-source')).first().waitFor();
      expect(await page.getByTestId('analysis-source').textContent()).toMatch(/^Source: builtin/);
      await shot(page, 'message-view');
      await audit(page, 'message view');

      await page.getByTestId('correct-urgency').selectOption(String(newUrgency));
      await expect.poll(() => page.getByTestId('analysis-source').textContent()).toBe('Source: user');
      const after = cellCounts((await api<{ cells: Cell[] }>('/api/dashboard')).cells);
      expect(after[`${from.urgency}-${from.importance}`]).toBe(from.count - 1);
      expect(after[`${newUrgency}-${from.importance}`]).toBe(cells.find((c) => c.urgency === newUrgency && c.importance === from.importance)!.count + 1);
      await page.keyboard.press('g');
      await page.keyboard.press('d');
      await heading(page, 'Priority matrix');
      await expect.poll(pageCounts).toEqual(after);

      corrected = { id: target.id, subject: target.subject, cell: `${newUrgency}-${from.importance}`, counts: after };
    });

    it('tags: a tag set in the correction control shows on the list and filters it', async () => {
      const created = await context.request.post(`${server.url}/api/tags`, { headers: { 'x-csrf-token': csrf }, data: { name: 'Steuern' } });
      expect(created.status()).toBe(201);
      const tagId = ((await created.json()) as { id: string }).id;
      const { id, subject } = corrected!;
      await page.goto(`${server.url}/messages/${id}`);
      await heading(page, subject);
      await page.getByRole('group', { name: 'Tag' }).getByLabel('Steuern').check();
      await expect.poll(async () => (await api<{ tags: { id: string }[] }>(`/api/messages/${id}`)).tags.map((t) => t.id)).toEqual([tagId]);
      expect(await page.getByRole('group', { name: 'Tag' }).getByLabel('Steuern').isChecked()).toBe(true);
      await page.goto(`${server.url}/messages`);
      await page.getByTestId('filter-tag').selectOption(tagId);
      await expect.poll(() => page.getByTestId('message-list').getByRole('listitem').count()).toBe(1);
      await page.getByTestId('message-list').getByText('Steuern', { exact: true }).waitFor();
      await audit(page, 'message list by tag');
    });

    it('mark done → it leaves the matrix', async () => {
      const { subject, cell, counts } = corrected!;
      const [u, i] = cell.split('-');
      await page.goto(`${server.url}/`);
      await heading(page, 'Priority matrix');
      await page.getByTestId(`cell-${u}-${i}`).getByRole('link', { name: subject, exact: true }).click();
      await heading(page, subject);
      await page.getByTestId('message-actions').getByRole('button', { name: 'Done', exact: true }).click();
      await page.getByTestId('done-badge').waitFor();
      await page.getByTestId('message-actions').getByRole('button', { name: 'Not done', exact: true }).waitFor();
      const final = cellCounts((await api<{ cells: Cell[] }>('/api/dashboard')).cells);
      expect(final[cell]).toBe(counts[cell]! - 1);
      await page.keyboard.press('g');
      await page.keyboard.press('d');
      await heading(page, 'Priority matrix');
      await expect.poll(pageCounts).toEqual(final);
      expect(await page.getByTestId('matrix').getByRole('link', { name: subject, exact: true }).count()).toBe(0);
      await shot(page, 'dashboard-after-done');
    });

    it('keyboard in the list: s flags the highlighted message, e marks it done and it leaves a "not done" list', async () => {
      await page.goto(`${server.url}/messages?done=0`);
      await heading(page, 'Messages');
      const rows = page.getByTestId('message-list').getByRole('listitem');
      await rows.first().waitFor();
      const first = (await api<{ items: Summary[] }>('/api/messages?done=0&limit=1')).items[0]!;
      expect(await rows.first().getByRole('link').textContent()).toBe(first.subject);
      await page.keyboard.press('s');
      await rows.first().getByText('flagged', { exact: true }).waitFor();
      await expect.poll(async () => (await api<{ flags: { flagged: boolean } }>(`/api/messages/${first.id}`)).flags.flagged).toBe(true);
      await page.keyboard.press('e');
      await expect.poll(() => rows.first().getByRole('link').textContent()).not.toBe(first.subject);
      expect((await api<{ done: boolean }>(`/api/messages/${first.id}`)).done).toBe(true);
    });

    it('message view: flag shows "syncing" until the server has it; delete asks first, then the message is gone', async () => {
      const { id, subject } = (await allMessages()).find((m) => m.id !== corrected!.id && m.subject !== HOSTILE_SUBJECT && !m.isCalendar && !m.subject.includes('Quarterly'))!;
      await page.goto(`${server.url}/messages/${id}`);
      await heading(page, subject);
      await page.evaluate(`window.__pending = 0;
        new MutationObserver(() => { if (document.querySelector('[data-testid="pending"]')) window.__pending++; })
          .observe(document.body, { subtree: true, childList: true });`);
      const actions = page.getByTestId('message-actions');
      await actions.getByRole('button', { name: 'Flag', exact: true }).click();
      await actions.getByRole('button', { name: 'Unflag', exact: true }).waitFor();
      // The write-back job confirms it; the event stream clears the badge without a reload.
      await page.getByTestId('pending').waitFor({ state: 'detached', timeout: 15_000 });
      expect(await page.evaluate<number>('window.__pending')).toBeGreaterThan(0);
      const detail = await api<{ flags: { flagged: boolean }; pendingSync: boolean }>(`/api/messages/${id}`);
      expect(detail).toMatchObject({ flags: { flagged: true }, pendingSync: false });

      await actions.getByRole('button', { name: 'Delete', exact: true }).click();
      await actions.getByRole('button', { name: 'Delete on the server for good' }).click();
      await heading(page, 'Messages');
      await expect.poll(async () => (await context.request.get(`${server.url}/api/messages/${id}`)).status(), { timeout: 15_000 }).toBe(404);
    });

    it('a message shows its thread', async () => {
      const reply = (await allMessages()).find((m) => m.subject === 'Re: Quarterly numbers')!;
      await page.goto(`${server.url}/messages/${reply.id}`);
      await heading(page, reply.subject);
      await page.waitForLoadState('networkidle');
      await shot(page, 'message-thread');
      const thread = page.getByTestId('thread');
      await thread.getByRole('link', { name: 'Quarterly numbers', exact: true }).waitFor();
      expect(await thread.getByRole('listitem').count()).toBe(2);
      await audit(page, 'message with thread');
    });

    it('an invitation shows as a card with its event, place, organizer and kind', async () => {
      const invites = (await api<{ items: Summary[] }>('/api/messages?calendar=1')).items;
      expect(invites).toHaveLength(1);
      await page.goto(`${server.url}/messages/${invites[0]!.id}`);
      await heading(page, invites[0]!.subject);
      const card = page.getByTestId('calendar-card');
      await card.getByText('Besprechungsraum Süd').waitFor();
      expect(await card.textContent()).toContain('REQUEST');
      const detail = await api<{ headers: { from: { name: string } } }>(`/api/messages/${invites[0]!.id}`);
      expect(await card.textContent()).toContain(detail.headers.from.name);
      // A text-only message shows its text in the same frame.
      const text = (await api<{ text: string }>(`/api/messages/${invites[0]!.id}`)).text;
      await (await mailFrame()).getByText(text.trim().split('\n')[0]!.trim().slice(0, 40)).waitFor();
      await shot(page, 'message-invitation');
      await audit(page, 'invitation');
    });

    it('hostile mail: no script runs and no remote request leaves before "load images"; after it the pixel loads, still no script', async () => {
      const hostile = (await allMessages()).find((m) => m.subject === HOSTILE_SUBJECT)!;
      await page.goto(`${server.url}/messages/${hostile.id}`);
      await heading(page, HOSTILE_SUBJECT);
      let frame = await mailFrame();
      await frame.getByText('Dear customer, your invoice is attached.').waitFor();
      // The inline cid: image is shown (a data: URI in the frame).
      await expect.poll(() => frame.locator('#logo').evaluate((img: any) => img.naturalWidth as number)).toBe(1);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      expect(await frame.evaluate('window.__pwned')).toBeUndefined();
      expect(await frame.locator('script, form, svg, iframe, object, [onerror], [onload]').count()).toBe(0);
      // The overlay lost its positioning: the greeting is not covered.
      expect(await frame.locator('.cover').evaluate((el: any) => (globalThis as any).getComputedStyle(el).position as string)).toBe('static');
      expect(canary.hits).toEqual([]);
      await shot(page, 'message-hostile');
      await audit(page, 'hostile message');

      await page.getByRole('button', { name: 'Load images' }).click();
      await expect.poll(() => canary.hits.length, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(canary.hits[0]).toBe('/pixel.gif?m=hostile');
      frame = await mailFrame();
      await expect.poll(() => frame.locator('#pixel').evaluate((img: any) => img.naturalWidth as number)).toBe(1);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      expect(await frame.evaluate('window.__pwned')).toBeUndefined();
      // The frame is sandboxed twice: by the iframe attribute and by the response's CSP.
      expect(await page.getByTestId('mail-frame').getAttribute('sandbox')).toBe('allow-popups allow-popups-to-escape-sandbox');
    });

    it('an x.html attachment downloads instead of rendering', async () => {
      const before = page.url();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('attachments').getByRole('link', { name: 'x.html' }).click()]);
      expect(download.suggestedFilename()).toBe('x.html');
      expect(page.url()).toBe(before);
      expect(page.context().pages()).toHaveLength(1);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
    });

    it('fits a 375 px phone without horizontal scroll, in the dark theme too', async () => {
      const phone = await b.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, locale: 'en-US', colorScheme: 'dark', storageState: await context.storageState() });
      try {
        const p = await phone.newPage();
        const overflow = () => p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
        const hostile = (await allMessages()).find((m) => m.subject === HOSTILE_SUBJECT)!;
        for (const [url, title, name] of [
          ['/', 'Priority matrix', 'phone-dashboard'],
          ['/messages', 'Messages', 'phone-message-list'],
          [`/messages/${hostile.id}`, HOSTILE_SUBJECT, 'phone-message-view'],
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

    it('logged no uncaught exceptions or CSP violations in the app', async () => {
      // The browser reports the scripts it refused to run in the sandboxed frame: that is the defence working.
      const refusedInFrame = (p: { kind: string; text: string }) => p.kind === 'console' && /Blocked script execution|sandboxed/.test(p.text);
      expect(b.problems.filter((p) => !refusedInFrame(p))).toEqual([]);
      expect(await b.cspViolations(page)).toEqual([]);
    });
  });
});
