import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateMasterKey, keyFingerprintId, parseKeyRing, ringWith, ringWithout, serializeKeyRing } from '../../../src/crypto/keyring.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

describe('key ring format', () => {
  it('reads "id:key" lines with comments; the last key is active', () => {
    const ring = parseKeyRing(`# my keys\n\nold:${k1.toString('base64')}\nnew:${k2.toString('hex')}\n`, 'test');
    expect([...ring.keys.keys()]).toEqual(['old', 'new']);
    expect(ring.activeId).toBe('new');
    expect(ring.keys.get('old')).toEqual(k1);
    expect(ring.keys.get('new')).toEqual(k2);
  });

  it('accepts a single bare key (base64 or hex) with an id derived from its fingerprint', () => {
    const fromBase64 = parseKeyRing(`${k1.toString('base64')}\n`, 'test');
    const fromHex = parseKeyRing(k1.toString('hex'), 'test');
    expect(fromBase64.activeId).toBe(keyFingerprintId(k1));
    expect(fromHex.activeId).toBe(fromBase64.activeId);
    expect(fromBase64.activeId).not.toBe(keyFingerprintId(k2));
    expect(fromBase64.activeId).not.toContain(k1.toString('hex').slice(0, 8));
  });

  it('refuses wrong lengths, duplicate ids or keys, bare keys among several, and empty text, without echoing key material', () => {
    const short = randomBytes(16).toString('base64');
    const cases: [string, RegExp][] = [
      ['', /contains no master key/],
      ['# only a comment', /contains no master key/],
      [`a:${short}`, /must be 32 bytes/],
      [`a:${k1.toString('base64')}\na:${k2.toString('base64')}`, /appears twice/],
      [`a:${k1.toString('base64')}\nb:${k1.toString('base64')}`, /same key is listed/],
      [`${k1.toString('base64')}\nb:${k2.toString('base64')}`, /needs an id/],
      [`bad id:${k1.toString('base64')}`, /key id must be/],
    ];
    for (const [text, message] of cases) {
      let error: Error | undefined;
      try {
        parseKeyRing(text, 'ring.txt');
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message, text).toMatch(message);
      expect(error?.message).toMatch(/^ring\.txt/);
      expect(error?.message).not.toContain(k1.toString('base64'));
      expect(error?.message).not.toContain(short);
    }
  });

  it('round-trips through serialize, keeping the active key last', () => {
    const a = generateMasterKey();
    const b = generateMasterKey();
    const ring = ringWith({ keys: new Map([[a.id, a.key]]), activeId: a.id }, b.id, b.key);
    expect(ring.activeId).toBe(b.id);
    const again = parseKeyRing(serializeKeyRing(ring), 'x');
    expect(again.activeId).toBe(b.id);
    expect(again.keys.get(a.id)).toEqual(a.key);
    expect(ringWithout(again, a.id).keys.has(a.id)).toBe(false);
    expect(() => ringWithout(again, b.id)).toThrow(/active key/);
    expect(() => ringWith(again, a.id, randomBytes(32))).toThrow(/already in the ring/);
  });
});
