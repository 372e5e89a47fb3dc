import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SEALED_OVERHEAD,
  isSealed,
  openWithKey,
  sealWithKey,
  sealedKeyVersion,
  unwrapDataKey,
  wrapDataKey,
} from '../../../src/crypto/envelope.js';
import { deriveHashKey, keyedHash } from '../../../src/crypto/keyed-hash.js';

const key = randomBytes(32);
const at = { context: 'message.subject.v1', rowId: 'row-1', userId: 'user-1' };

describe('sealed values', () => {
  it('open to the same text and bytes, including empty and non-ASCII values', () => {
    for (const text of ['', 'Grüße — 你好 — 👋', 'x'.repeat(100_000)]) {
      const sealed = sealWithKey(key, 1, at, Buffer.from(text));
      expect(openWithKey(key, at, sealed).toString()).toBe(text);
      expect(sealed.length).toBe(Buffer.byteLength(text) + SEALED_OVERHEAD);
    }
    const bytes = Buffer.from([0, 255, 1, 254]);
    expect(openWithKey(key, at, sealWithKey(key, 1, at, bytes))).toEqual(bytes);
  });

  it('carry a versioned header with the data-key version and never contain the plaintext', () => {
    const sealed = sealWithKey(key, 7, at, Buffer.from('secret subject line'));
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKeyVersion(sealed)).toBe(7);
    expect(sealed.includes(Buffer.from('secret'))).toBe(false);
    expect(isSealed(Buffer.from('plain text that is long enough to look like a value'))).toBe(false);
    expect(isSealed('a string')).toBe(false);
  });

  it('differ each time the same value is sealed (fresh nonce)', () => {
    const a = sealWithKey(key, 1, at, Buffer.from('same'));
    const b = sealWithKey(key, 1, at, Buffer.from('same'));
    expect(a.equals(b)).toBe(false);
    // Nonces come from a refilled buffer of random bytes: none repeats across refills, none is zero.
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const sealed = sealWithKey(key, 1, at, Buffer.from('same'));
      const nonce = sealed.subarray(7, 19).toString('hex');
      expect(nonce).not.toBe('0'.repeat(24));
      seen.add(nonce);
      expect(openWithKey(key, at, sealed).toString()).toBe('same');
    }
    expect(seen.size).toBe(5_000);
  });

  it('fail to open under another row, column (context), user or key', () => {
    const sealed = sealWithKey(key, 1, at, Buffer.from('hello'));
    expect(openWithKey(key, at, sealed).toString()).toBe('hello'); // positive control
    expect(() => openWithKey(key, { ...at, rowId: 'row-2' }, sealed)).toThrow(/could not be decrypted/);
    expect(() => openWithKey(key, { ...at, context: 'message.body.v1' }, sealed)).toThrow(/could not be decrypted/);
    expect(() => openWithKey(key, { ...at, userId: 'user-2' }, sealed)).toThrow(/could not be decrypted/);
    expect(() => openWithKey(randomBytes(32), at, sealed)).toThrow(/could not be decrypted/);
  });

  it('fail to open when any byte — header, body or tag — is changed', () => {
    const sealed = sealWithKey(key, 1, at, Buffer.from('hello world'));
    for (const i of [0, 2, 3, 6, 10, sealed.length - 20, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[i] = bad[i]! ^ 0x01;
      expect(() => openWithKey(key, at, bad), `byte ${i}`).toThrow();
    }
  });

  it('require a versioned context name', () => {
    expect(() => sealWithKey(key, 1, { ...at, context: 'subject' }, Buffer.from('x'))).toThrow(/must look like/);
    expect(() => sealWithKey(key, 1, { ...at, context: 'Message.Subject.v1' }, Buffer.from('x'))).toThrow(/must look like/);
  });
});

describe('wrapped data keys', () => {
  const master = randomBytes(32);
  const dataKey = randomBytes(32);
  const subject = { userId: 'user-1', version: 1 };

  it('unwrap with the same master key, id and subject only', () => {
    const wrapped = wrapDataKey(master, 'k1', dataKey, subject);
    expect(unwrapDataKey(master, 'k1', wrapped, subject)).toEqual(dataKey);
    expect(wrapped.includes(dataKey)).toBe(false);
    expect(() => unwrapDataKey(randomBytes(32), 'k1', wrapped, subject)).toThrow(/does not unwrap/);
    expect(() => unwrapDataKey(master, 'k2', wrapped, subject)).toThrow(/does not unwrap/);
    expect(() => unwrapDataKey(master, 'k1', wrapped, { userId: 'user-2', version: 1 })).toThrow(/does not unwrap/);
    expect(() => unwrapDataKey(master, 'k1', wrapped, { userId: 'user-1', version: 2 })).toThrow(/does not unwrap/);
    expect(() => unwrapDataKey(master, 'k1', wrapped, 'canary')).toThrow(/does not unwrap/);
  });
});

describe('keyed hashes', () => {
  const dataKey = randomBytes(32);

  it('are stable for one user and purpose, and differ across users, purposes and keys', () => {
    const h = (k: Buffer, user: string, purpose: string, v: string) => keyedHash(deriveHashKey(k, user, purpose), v).toString('hex');
    const base = h(dataKey, 'u1', 'message.sender.v1', 'alice@example.org');
    expect(h(dataKey, 'u1', 'message.sender.v1', 'alice@example.org')).toBe(base);
    expect(h(dataKey, 'u2', 'message.sender.v1', 'alice@example.org')).not.toBe(base);
    expect(h(dataKey, 'u1', 'message.recipient.v1', 'alice@example.org')).not.toBe(base);
    expect(h(randomBytes(32), 'u1', 'message.sender.v1', 'alice@example.org')).not.toBe(base);
    expect(h(dataKey, 'u1', 'message.sender.v1', 'bob@example.org')).not.toBe(base);
  });

  it('hash chunks of one stream like the whole value', () => {
    const k = deriveHashKey(dataKey, 'u1', 'message.content.v1');
    expect(keyedHash(k, [Buffer.from('hello '), 'world'])).toEqual(keyedHash(k, 'hello world'));
  });
});
