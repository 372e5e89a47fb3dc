import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy, hashPassword, hashesInFlight, verifyPassword } from '../../src/services/auth/passwords.js';
import { delayAfter } from '../../src/services/auth/throttle.js';

describe('passwords', () => {
  it('hashes with argon2id and verifies only the right password', async () => {
    const hash = await hashPassword('a-long-enough-passphrase');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, 'a-long-enough-passphrase')).toBe(true);
    expect(await verifyPassword(hash, 'a-long-enough-passphrasE')).toBe(false);
    // No user: the dummy hash is verified and the answer is always no.
    expect(await verifyPassword(null, 'a-long-enough-passphrase')).toBe(false);
  });

  it('computes at most two hashes at once, however many sign-ins arrive', async () => {
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, hashesInFlight())), 1);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => verifyPassword(null, `attempt-number-${i}-xx`)));
    clearInterval(sampler);
    expect(results.every((r) => r === false)).toBe(true);
    expect(most).toBe(2);
    expect(hashesInFlight()).toBe(0);
  });

  it.each(['short', 'password1234', '123456789012', 'qwertyqwerty', 'iloveyou2026!!', 'abcabcabcabc'])('refuses %s', (pw) => {
    expect(() => checkPasswordPolicy(pw)).toThrow(/at least 12|too common/);
  });

  it('refuses a password built from the user name, accepts a long unusual one', () => {
    expect(() => checkPasswordPolicy('margarethe2026!', 'margarethe')).toThrow(/too common/);
    expect(() => checkPasswordPolicy('Tulpen blühen im März 7')).not.toThrow();
  });

  it('delays grow after three failures, doubling, capped at five minutes', () => {
    expect([1, 2, 3, 4, 5, 6].map(delayAfter)).toEqual([0, 0, 0, 1000, 2000, 4000]);
    expect(delayAfter(40)).toBe(300_000);
  });
});
