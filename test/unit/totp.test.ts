import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, timeStep, totpAt } from '../../src/services/auth/totp.js';

// RFC 6238 appendix B, SHA-1 secret "12345678901234567890", 8 digits.
const RFC_SECRET = Buffer.from('12345678901234567890');
const vectors: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(vectors)('matches the RFC test vector at %i s', (seconds, code) => {
    expect(hotp(RFC_SECRET, Math.floor(seconds / 30), 'sha1', 8)).toBe(code);
  });

  it('round-trips base32', () => {
    const secret = base32Encode(RFC_SECRET);
    expect(secret).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode(secret)).toEqual(RFC_SECRET);
  });

  it('accepts the current code and one step of drift, but never a used or older code again', () => {
    const secret = base32Encode(RFC_SECRET);
    const now = 1_764_331_200_000;
    const code = totpAt(secret, now);
    const step = matchTotp(secret, code, now, null);
    expect(step).toBe(timeStep(now));
    expect(matchTotp(secret, code, now, step)).toBeNull();
    expect(matchTotp(secret, totpAt(secret, now - 30_000), now, null)).toBe(timeStep(now) - 1);
    expect(matchTotp(secret, totpAt(secret, now - 90_000), now, null)).toBeNull();
    expect(matchTotp(secret, 'abcdef', now, null)).toBeNull();
  });

  it('builds an otpauth URI authenticator apps read', () => {
    expect(otpauthUri('KI-Mail-Helper', 'alice', 'ABCDEF')).toBe(
      'otpauth://totp/KI-Mail-Helper%3Aalice?secret=ABCDEF&issuer=KI-Mail-Helper&algorithm=SHA1&digits=6&period=30',
    );
  });
});
