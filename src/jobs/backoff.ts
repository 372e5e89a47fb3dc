export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 5_000, maxMs: 15 * 60_000 };

/**
 * Delay before retry number `attempt` (1 = after the first failure): exponential, capped, with
 * "equal jitter" (half fixed, half random) so a burst of failures does not retry in lockstep.
 * `factor` stretches the whole curve, cap included (a throttled server: factor 6, so even the
 * shortest throttled delay, 3 × base, is longer than the longest ordinary one of the same attempt).
 */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random, factor = 1): number {
  const exp = factor * Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}
