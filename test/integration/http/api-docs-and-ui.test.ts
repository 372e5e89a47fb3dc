import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../support/app.js';
import { describeEachDialect } from '../../support/db.js';

describeEachDialect('OpenAPI at /api/docs and the web UI at /', (ctx) => {
  let app: FastifyInstance;
  const webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-web-'));
  beforeAll(async () => {
    fs.mkdirSync(path.join(webRoot, 'assets'));
    fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><script type="module" src="/assets/app-1a2b3c.js"></script>');
    fs.writeFileSync(path.join(webRoot, 'assets/app-1a2b3c.js'), 'export {};');
    ({ app } = await buildTestApp(ctx.handle, {}, { webRoot }));
  });
  afterAll(async () => {
    await app?.close();
    fs.rmSync(webRoot, { recursive: true, force: true });
  });

  it('lists every API route in the OpenAPI document, schema or not, without sign-in', async () => {
    const res = await app.inject('/api/docs/json');
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/setup', '/api/auth/login', '/api/me', '/api/tokens/{id}', '/api/admin/users/{id}']));
    expect(paths.some((p) => p.startsWith('/api/docs'))).toBe(false);
    const ui = await app.inject('/api/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    // The docs follow the same CSP as the app: no inline scripts.
    expect(ui.headers['content-security-policy']).toContain("script-src 'self'");
    expect(ui.body).not.toMatch(/<script>(?!\s*<\/script>)/);
  });

  it('serves index.html uncached, hashed assets immutable, and index.html for client routes only', async () => {
    const index = await app.inject('/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['cache-control']).toBe('no-cache');
    const asset = await app.inject('/assets/app-1a2b3c.js');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const url of ['/settings', '/admin/users?x=1', '/invite']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(index.body);
      expect(res.headers['cache-control'], url).toBe('no-cache');
    }
    for (const url of ['/api/nothing', '/livez/x', '/readyz/x', '/metrics/x', '/assets/gone.js', '/robots.txt']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('NOT_FOUND');
    }
    expect((await app.inject({ method: 'POST', url: '/settings', payload: {} })).statusCode).toBe(404);
  });
});
