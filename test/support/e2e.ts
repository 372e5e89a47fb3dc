import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { BrowserCtx } from './browser.js';
import { ensureWebBuilt, projectRoot } from './build.js';
import { freePort, startServer, type RunningServer } from './cli.js';
import type { Dovecot, TestUser } from './dovecot.js';

/** Where the browser suites leave their screenshots (the UI review looks at them). */
export const screenshots = path.join(projectRoot, 'test/e2e/screenshots');

/** What every browser suite does to a page: wait for its heading, take a screenshot, run axe-core. */
export function pageTools(b: BrowserCtx) {
  return {
    /** Waits until the page's one h1 reads exactly `name`. */
    heading: (p: Page, name: string) => p.getByRole('heading', { level: 1, name, exact: true }).waitFor(),
    shot: (p: Page, name: string) => p.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true }),
    /** axe-core in both themes: no serious or critical violations (soft, so one run lists every page's). */
    audit: async (p: Page, name: string) => expect.soft(await b.axe(p), `axe: ${name}`).toEqual([]),
  };
}

export interface SignedInInstance {
  server: RunningServer;
  /** Signed in by the first-run setup: its cookie jar is its pages'. */
  context: BrowserContext;
  csrf: string;
}

/**
 * `mailhelper serve` on a free port with its web UI built, and a browser context that ran the
 * first-run setup as `user`. The test bed listens on loopback; 2FA is optional, so the suite starts
 * signed in.
 */
export async function startSignedIn(b: BrowserCtx, dataDir: string, user: { username: string; password: string }): Promise<SignedInInstance> {
  ensureWebBuilt();
  fs.mkdirSync(screenshots, { recursive: true });
  const port = await freePort();
  const server = await startServer(['serve', '--port', String(port)], { DATA_DIR: dataDir, ALLOW_PRIVATE_MAIL_HOSTS: '1', TWO_FACTOR_POLICY: 'optional' }, port);
  const context = await b.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  const setup = await context.request.post(`${server.url}/api/setup`, { data: user });
  expect(setup.status()).toBeLessThan(300);
  const csrf = ((await setup.json()) as { csrfToken: string }).csrfToken;
  return { server, context, csrf };
}

/** GET of a JSON API route as the signed-in context; fails the test unless it answers 200. */
export async function apiGet<T>(instance: Pick<SignedInInstance, 'server' | 'context'>, url: string): Promise<T> {
  const res = await instance.context.request.get(`${instance.server.url}${url}`);
  expect(res.status(), url).toBe(200);
  return (await res.json()) as T;
}

/** Adds the test bed's mailbox as an account (plain IMAP on loopback, the whole mailbox); returns its id. */
export async function addTestBedAccount(instance: SignedInInstance, bed: Dovecot, mailbox: TestUser): Promise<string> {
  const created = await instance.context.request.post(`${instance.server.url}/api/accounts`, {
    headers: { 'x-csrf-token': instance.csrf },
    data: {
      name: 'Test bed',
      imap: { host: bed.host, port: bed.port, security: 'none', user: mailbox.name, password: mailbox.password },
      initialWindow: { sinceDays: 36_500 },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  return ((await created.json()) as { id: string }).id;
}
