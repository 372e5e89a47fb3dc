import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { retryDelayMs } from '../../../src/jobs/backoff.js';
import { classifyError, PermanentError, TransientError } from '../../../src/jobs/errors.js';
import { createJobRegistry, defineJob } from '../../../src/jobs/registry.js';

describe('retry backoff', () => {
  it('doubles per attempt up to the cap, with jitter within [half, full]', () => {
    const policy = { baseMs: 1000, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, policy, () => 1))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect([1, 2, 3].map((n) => retryDelayMs(n, policy, () => 0))).toEqual([500, 1000, 2000]);
    expect(retryDelayMs(2, policy, () => 0.5)).toBe(1500);
  });

  it('a factor stretches the curve and its cap: with 6, the shortest delay beats the longest unscaled one', () => {
    const policy = { baseMs: 1000, maxMs: 10_000 };
    for (const attempt of [1, 2, 3, 4, 5]) expect(retryDelayMs(attempt, policy, () => 0, 6)).toBeGreaterThan(retryDelayMs(attempt, policy, () => 1));
    expect(retryDelayMs(9, policy, () => 1, 6)).toBe(60_000);
  });
});

describe('error classification', () => {
  it('retries network errors and timeouts, not bad input or unknown errors', () => {
    expect(classifyError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toEqual({ transient: true, code: 'NETWORK', message: 'network error (ECONNRESET)' });
    expect(classifyError(new DOMException('timed out', 'TimeoutError'))).toMatchObject({ transient: true, code: 'TIMEOUT' });
    expect(classifyError(new TransientError('IMAP_BUSY', 'server busy'))).toEqual({ transient: true, code: 'IMAP_BUSY', message: 'server busy', backoffFactor: 1 });
    expect(classifyError(new TransientError('THROTTLED', 'slow down', { backoffFactor: 6 }))).toMatchObject({ transient: true, backoffFactor: 6 });
    expect(classifyError(new PermanentError('AUTH_FAILED', 'the server refused the login'))).toMatchObject({ transient: false, code: 'AUTH_FAILED' });
  });

  it('does not store the message of an error we did not raise (it may quote content)', () => {
    expect(classifyError(new TypeError('Subject: Secret merger plans'))).toEqual({ transient: false, code: 'UNEXPECTED', message: 'unexpected TypeError' });
  });
});

describe('job registry', () => {
  const echo = defineJob({
    type: 'demo.echo',
    payload: z.object({ accountId: z.string().uuid() }),
    payloadVersion: 1,
    timeLimitMs: 1000,
    maxAttempts: 2,
    lane: 'interactive',
    async run() {},
  });

  it('refuses unknown types and invalid payloads with codes the API shows', () => {
    const registry = createJobRegistry([echo]);
    expect(() => registry.validate('demo.other', {})).toThrow(expect.objectContaining({ code: 'JOB_TYPE_UNKNOWN', status: 400 }));
    expect(() => registry.validate('demo.echo', { accountId: 'nope' })).toThrow(expect.objectContaining({ code: 'JOB_PAYLOAD_INVALID' }));
    expect(registry.validate('demo.echo', { accountId: '0190a0c4-8f4e-7c4b-9a3e-2b1f0c9d8e7f' }).definition).toBe(echo);
  });

  it('refuses duplicate types and names that BullMQ job ids could not carry', () => {
    expect(() => createJobRegistry([echo, echo])).toThrow(/registered twice/);
    expect(() => createJobRegistry([{ ...echo, type: 'demo:echo' }])).toThrow(/no ":"/);
  });
});
