import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuilt, projectRoot } from '../../support/build.js';

/** Item 7 of the UI: the dashboard's first load moves under 300 KB of compressed JS and CSS. */
const BUDGET = 300 * 1024;
const webRoot = path.join(projectRoot, 'dist/web');

/** Every script, stylesheet and module preload index.html names: what the browser fetches before the first paint. */
function firstLoadAssets(): string[] {
  const html = fs.readFileSync(path.join(webRoot, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/<(?:script|link)\b[^>]*(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  return [...new Set(refs)];
}

describe('web bundle size', () => {
  beforeAll(() => ensureWebBuilt());

  it('the first load of the dashboard transfers under 300 KB of gzip-compressed JS and CSS', () => {
    const assets = firstLoadAssets();
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    const sizes = assets.map((a) => zlib.gzipSync(fs.readFileSync(path.join(webRoot, a)), { level: 9 }).length);
    const total = sizes.reduce((n, s) => n + s, 0);
    console.info(`first load: ${assets.length} assets, ${(total / 1024).toFixed(1)} KB gzip`);
    expect(total).toBeLessThan(BUDGET);
  });
});
