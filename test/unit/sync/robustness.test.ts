import { describe, expect, it } from 'vitest';
import { classifySyncError } from '../../../src/services/sync/account-sync.js';
import { parseCrashAt } from '../../../src/services/sync/crash-points.js';

/** imapflow's error for a tagged NO: status, text, and the response code in the first attribute's section. */
function noResponse(code: string | null, text: string) {
  return Object.assign(new Error('Command failed'), {
    responseStatus: 'NO',
    responseText: text,
    response: { attributes: code ? [{ type: 'SECTION', section: [{ type: 'ATOM', value: code }] }, { type: 'TEXT', value: text }] : [{ type: 'TEXT', value: text }] },
  });
}

describe('sync error classification', () => {
  it('treats throttling answers as throttled, whatever the server calls it', () => {
    expect(classifySyncError(noResponse('THROTTLED', 'Too many commands, slow down'))).toBe('throttled');
    expect(classifySyncError(noResponse(null, 'Rate limit exceeded, try again later'))).toBe('throttled');
    expect(classifySyncError(noResponse(null, 'Too many connections for this user'))).toBe('throttled');
    expect(classifySyncError(Object.assign(new Error('throttled'), { code: 'ETHROTTLE' }))).toBe('throttled');
  });

  it('keeps other NO answers, timeouts and refused logins apart', () => {
    expect(classifySyncError(noResponse('UNAVAILABLE', 'Mailbox is temporarily unavailable'))).toBe('permanent');
    expect(classifySyncError(Object.assign(new Error('x'), { code: 'NoConnection' }))).toBe('transient');
    expect(classifySyncError(Object.assign(new Error('x'), { code: 'TIMEOUT', transient: true }))).toBe('transient');
    expect(classifySyncError(Object.assign(new Error('x'), { authenticationFailed: true }))).toBe('auth');
  });
});

describe('crash points', () => {
  it('name a point and optionally its occurrence; unknown names are refused', () => {
    expect(parseCrashAt(null)).toBeNull();
    expect(parseCrashAt('after-commit')).toEqual({ point: 'after-commit', occurrence: 1 });
    expect(parseCrashAt('after-commit-before-state#3')).toEqual({ point: 'after-commit-before-state', occurrence: 3 });
    expect(() => parseCrashAt('before-lunch')).toThrow(/unknown crash point/);
  });
});
