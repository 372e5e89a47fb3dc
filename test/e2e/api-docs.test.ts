import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBrowser } from '../support/browser.js';
import { buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

describeWithBrowser('OpenAPI page /api/docs', (b) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    ({ app } = await buildTestApp(database, {}, { jobDefinitions: [] }));
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('renders the API reference under the app CSP: operations and their parameters, no CSP violation, no console error', async () => {
    const context = await b.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const res = await page.goto(`${url}/api/docs/`);
    expect(res?.status()).toBe(200);
    // The app's own policy, not a weaker one for the docs.
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    // swagger-ui renders the operations from /api/docs/json.
    await page.locator('.opblock-summary-path[data-path="/api/messages"]').first().waitFor();
    await page.locator('.opblock-summary-path[data-path="/api/messages"]').first().click();
    await page.getByText('cursor', { exact: true }).first().waitFor();
    expect(await b.cspViolations(page)).toEqual([]);
    expect(b.problems).toEqual([]);
    await context.close();
  });
});
