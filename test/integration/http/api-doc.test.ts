import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp } from '../../support/app.js';
import { projectRoot } from '../../support/build.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

/**
 * docs/api.md names every route: "METHOD path" pairs from its tables (`| GET, POST | \`/api/x\` | … |`,
 * one path per row, the query string dropped). The contract's API.md (outside this repository) is
 * not needed: the page's index lists its routes too.
 */
function documentedRoutes(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !/^[A-Z]+(, [A-Z]+)*$/.test(cells[1]!)) continue;
    const paths = [...cells[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.split('?')[0]!);
    expect(paths, `one path per row: ${line}`).toHaveLength(1);
    for (const method of cells[1]!.split(', ')) out.add(`${method} ${paths[0]}`);
  }
  return out;
}

let database: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  // Job routes and every optional part mounted (no web UI: its static files are not API).
  ({ app } = await buildTestApp(database, {}, { jobDefinitions: [], webRoot: null }));
});
afterAll(async () => {
  await app?.close();
  await database?.close();
});

it('docs/api.md names every registered route, and only registered ones', () => {
  const documented = documentedRoutes(fs.readFileSync(path.join(projectRoot, 'docs/api.md'), 'utf8'));
  // swagger-ui's own static files are one documented entry (/api/docs).
  const registered = new Set(app.routeTable.filter((r) => !r.url.startsWith('/api/docs/static')).map((r) => `${r.method} ${r.url}`));
  expect(registered.size).toBeGreaterThan(80);
  expect([...registered].filter((r) => !documented.has(r)), 'routes missing from docs/api.md').toEqual([]);
  expect([...documented].filter((r) => !registered.has(r)), 'docs/api.md names routes that do not exist').toEqual([]);
});
