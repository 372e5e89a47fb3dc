import fs from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { serviceMissing } from './services.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Everything a page did wrong: console errors, uncaught exceptions, CSP violations. */
export interface PageProblem {
  page: string;
  kind: 'console' | 'pageerror' | 'csp';
  text: string;
}

export interface BrowserCtx {
  readonly browser: Browser;
  readonly problems: PageProblem[];
  /** A fresh context whose pages report their problems into `problems`. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** CSP violations the page recorded itself (Chromium also logs them as console errors). */
  cspViolations(page: Page): Promise<string[]>;
  /**
   * axe-core's serious and critical violations on the page as it is now, in the light and the dark
   * theme, one line each: "theme rule-id: selector, selector". Empty when the page passes.
   */
  axe(page: Page): Promise<string[]>;
}

let axeSource: string | undefined;

interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: { target: unknown[] }[];
}

/**
 * Runs axe in the page. The source goes in through the DevTools protocol (page.evaluate), which the
 * app's CSP does not govern, so the app's own policy stays as strict as it is in production.
 */
async function axeViolations(page: Page): Promise<string[]> {
  axeSource ??= fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = await page.evaluate<boolean>('typeof window.axe !== "undefined"');
  if (!loaded) await page.evaluate(axeSource);
  const violations = await page.evaluate<AxeViolation[]>(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => ({ target: n.target })) })))",
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function axeBothThemes(page: Page): Promise<string[]> {
  const found: string[] = [];
  // A theme pinned in the settings overrides the media query: lift it for the audit, then put it back.
  const pinned = await page.evaluate<string | null>("document.documentElement.getAttribute('data-theme')");
  if (pinned) await page.evaluate("document.documentElement.removeAttribute('data-theme')");
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const v of await axeViolations(page)) found.push(`${scheme} ${v}`);
  }
  await page.emulateMedia({ colorScheme: null });
  if (pinned) await page.evaluate(`document.documentElement.setAttribute('data-theme', ${JSON.stringify(pinned)})`);
  return found;
}

function watch(page: Page, problems: PageProblem[]): void {
  const where = () => new URL(page.url()).pathname;
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push({ page: where(), kind: 'console', text: `${msg.text()} @ ${msg.location().url}` });
  });
  page.on('pageerror', (err) => problems.push({ page: where(), kind: 'pageerror', text: err.message }));
}

/**
 * Runs a suite against Debian's Chromium through playwright-core. Without the browser: skipped with a
 * one-line reason, or failed in CI.
 */
export function describeWithBrowser(name: string, body: (ctx: BrowserCtx) => void): void {
  const missing = fs.existsSync(CHROMIUM_PATH) ? null : `Chromium not found at ${CHROMIUM_PATH} (apt-get install chromium)`;
  const state = missing ? serviceMissing(missing) : 'ok';
  if (state === 'skip') {
    describe.skip(`${name} [chromium]`, () => it('needs Chromium'));
    return;
  }
  describe(`${name} [chromium]`, () => {
    if (state === 'fail') {
      it('has Chromium', () => {
        throw new Error(missing!);
      });
      return;
    }
    let browser: Browser | undefined;
    const problems: PageProblem[] = [];
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
    });
    afterAll(async () => browser?.close());
    body({
      get browser() {
        return browser!;
      },
      problems,
      async newContext(options) {
        const context = await browser!.newContext(options);
        // Fail a step in seconds, not at the test timeout, so one broken page does not stall the suite.
        context.setDefaultTimeout(5_000);
        // Runs in the page (the test's tsconfig has no DOM types, hence a string).
        await context.addInitScript(
          "window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));",
        );
        context.on('page', (p) => watch(p, problems));
        return context;
      },
      cspViolations: (page) => page.evaluate<string[]>('window.__csp ?? []'),
      axe: axeBothThemes,
    });
  });
}
