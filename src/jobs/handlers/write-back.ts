import { z } from 'zod';
import type { WriteBack } from '../../services/writeback/write-back.js';
import { PermanentError } from '../errors.js';
import { defineJob } from '../registry.js';

export const WRITE_BACK = 'mail.write-back';
const MAX_ATTEMPTS = 5;

/**
 * Sends an account's pending operations (read, flag, move, trash, delete) to its server. Keyed by
 * the account id like the sync, so both share one fenced lease and never run at once.
 */
export function writeBackJob(deps: { writeBack: WriteBack }) {
  return defineJob({
    type: WRITE_BACK,
    payload: z.object({ accountId: z.string().uuid() }).strict(),
    payloadVersion: 1,
    timeLimitMs: 10 * 60_000,
    maxAttempts: MAX_ATTEMPTS,
    lane: 'interactive',
    async run(payload, ctx) {
      if (!ctx.userId || !ctx.lease) throw new PermanentError('JOB_MISCONFIGURED', 'write-back needs an owner and a key');
      return deps.writeBack.run(ctx.userId, payload.accountId, { lease: ctx.lease, signal: ctx.signal, lastAttempt: ctx.attempt >= MAX_ATTEMPTS });
    },
  });
}
