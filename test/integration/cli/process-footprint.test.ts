import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');

/**
 * Packages a serve or worker process loads only when it first needs them: each is megabytes of
 * resident memory (native bindings, dictionaries) that a process syncing mail never uses.
 */
const LOADED_ON_FIRST_USE = ['@node-rs/argon2', 'pg', '@zxcvbn-ts/language-common', 'sanitize-html', 'qrcode', 'selfsigned', 'ioredis'];

/** The CommonJS packages a process holds after importing what `mailhelper serve` imports (dist/). */
function packagesLoadedAtStart(): string[] {
  const script = `
    import { createRequire } from 'node:module';
    await Promise.all([import('./dist/runtime.js'), import('./dist/http/app.js'), import('./dist/crypto/open-crypto.js')]);
    const names = new Set(Object.keys(createRequire(import.meta.url).cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean));
    process.stdout.write(JSON.stringify([...names]));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' })) as string[];
}

describe('what a process holds at start', () => {
  it('loads password hashing, PostgreSQL, dictionaries and the other rarely used packages on first use, not at start', () => {
    const loaded = packagesLoadedAtStart();
    // Positive control: the list is real (SQLite's binding and the IMAP client are loaded at start).
    expect(loaded).toEqual(expect.arrayContaining(['better-sqlite3']));
    expect(loaded.filter((name) => LOADED_ON_FIRST_USE.includes(name))).toEqual([]);
  });
});
