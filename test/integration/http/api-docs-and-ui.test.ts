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
    ({ app } = await buildTestApp(ctx.handle, {}, { webRoot, jobDefinitions: [] }));
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

  it('documents the core routes: parameters, query and body from the zod validation, answers and the error shape', async () => {
    const doc = (await app.inject('/api/docs/json')).json() as { paths: Record<string, Record<string, any>> };
    const op = (method: string, p: string) => {
      const found = doc.paths[p]?.[method];
      expect(found, `${method.toUpperCase()} ${p}`).toBeDefined();
      return found;
    };
    const paramNames = (o: any, where: string) => (o.parameters ?? []).filter((x: any) => x.in === where).map((x: any) => x.name);
    const bodyProps = (o: any) => Object.keys(o.requestBody?.content?.['application/json']?.schema?.properties ?? {});

    // List query: every filter of /api/messages, with its type.
    const list = op('get', '/api/messages');
    expect(paramNames(list, 'query')).toEqual(expect.arrayContaining(['account', 'folderId', 'cursor', 'limit', 'cell', 'colour', 'category', 'sort', 'unread', 'since', 'until', 'tag']));
    expect(list.parameters.find((x: any) => x.name === 'colour').schema.enum).toEqual(['red', 'yellow', 'green']);
    expect(list.responses['200'].content['application/json'].schema.properties).toHaveProperty('nextCursor');
    expect(list.responses['4XX'].content['application/json'].schema.properties).toHaveProperty('error');
    for (const [method, p] of [
      ['get', '/api/messages/{id}'],
      ['get', '/api/threads/{id}'],
      ['get', '/api/accounts/{id}'],
      ['delete', '/api/accounts/{id}'],
      ['get', '/api/tags/{id}'],
      ['get', '/api/jobs/{id}'],
      ['post', '/api/jobs/{id}/cancel'],
    ] as const) {
      expect(paramNames(op(method, p), 'path'), `${method} ${p}`).toEqual(['id']);
    }
    expect(bodyProps(op('post', '/api/messages/{id}/actions'))).toEqual(expect.arrayContaining(['action', 'folderId', 'confirm']));
    expect(op('post', '/api/messages/{id}/actions').requestBody.content['application/json'].schema.properties.action.enum).toContain('done');
    expect(bodyProps(op('post', '/api/messages/actions'))).toContain('ids');
    expect(bodyProps(op('post', '/api/messages/{id}/correction'))).toEqual(expect.arrayContaining(['urgency', 'importance', 'category', 'spam', 'tags']));
    expect(bodyProps(op('post', '/api/accounts'))).toEqual(expect.arrayContaining(['name', 'imap']));
    expect(bodyProps(op('post', '/api/tags'))).toEqual(expect.arrayContaining(['name', 'colour']));
    expect(paramNames(op('get', '/api/dashboard'), 'query')).toEqual(['account']);
    expect(paramNames(op('get', '/api/jobs'), 'query')).toEqual(expect.arrayContaining(['state', 'limit', 'cursor']));
    expect(Object.keys(op('get', '/api/jobs/{id}').responses['200'].content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['id', 'type', 'state', 'progress', 'error', 'createdAt']),
    );
    expect(op('delete', '/api/tags/{id}').responses).toHaveProperty('204');

    // Documentation only: Fastify does not validate with these schemas, the handlers' zod does (one error shape).
    const bad = await app.inject('/api/messages?colour=purple');
    expect(bad.statusCode).toBe(401); // signed out: auth comes first, as before
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
