import type { Kysely } from 'kysely';
import type { Crypto } from '../crypto/crypto.js';
import type { Database } from '../db/schema.js';
import { newId } from '../db/ids.js';
import { AppError } from '../errors.js';
import { requeueAnalysis } from '../repositories/message-analysis.js';
import { deleteSenderRule, findSenderRuleByHash, insertSenderRule, listSenderRules, type SenderRuleKind } from '../repositories/sender-rules.js';
import { SENDER_RULE_CONTEXT } from './analysis/sender-history.js';

/**
 * VIP senders and own domains: the per-user signals of the built-in analyser. A change puts the
 * user's messages back in the analysis queue (corrections stay on top) and asks for a run.
 */

export class SenderRuleNotFoundError extends AppError {
  constructor() {
    super('NOT_FOUND', 'entry not found', 404);
  }
}

export class SenderRuleExistsError extends AppError {
  constructor() {
    super('ALREADY_EXISTS', 'this entry is already in the list', 409);
  }
}

export interface SenderRule {
  id: string;
  /** The pattern (VIP) or domain (own domain), lower-case. */
  value: string;
  createdAt: number;
}

export interface SenderRulesDeps {
  db: Kysely<Database>;
  crypto: Pick<Crypto, 'forUser'>;
  now: () => number;
  /** Asks for an analysis run of every account of the user (the job queue); absent without one. */
  requestAnalysis?: (userId: string) => Promise<void>;
}

/** A VIP pattern: an address, a pattern with `*` (`*@firma.ch`, `*@*.firma.ch`), or a bare domain. */
export const VIP_PATTERN = /^(?:[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@)?(?:\*\.)?(?:[a-z0-9*](?:[a-z0-9*-]*[a-z0-9*])?\.)*[a-z0-9*](?:[a-z0-9*-]*[a-z0-9*])?$/;
/** An own domain: `firma.ch` (its subdomains count too). */
export const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$/;

export function normaliseRuleValue(value: string): string {
  return value.trim().toLowerCase().replace(/^@/, '');
}

export function createSenderRulesService(deps: SenderRulesDeps) {
  const { db } = deps;

  async function changed(userId: string): Promise<void> {
    await requeueAnalysis(db, userId);
    await deps.requestAnalysis?.(userId);
  }

  return {
    async list(userId: string, kind: SenderRuleKind): Promise<SenderRule[]> {
      const cipher = await deps.crypto.forUser(userId);
      const rows = await listSenderRules(db, userId, kind);
      return rows.map((r) => ({ id: r.id, value: cipher.openText(SENDER_RULE_CONTEXT, r.id, r.value), createdAt: r.created_at }));
    },

    async add(userId: string, kind: SenderRuleKind, rawValue: string): Promise<SenderRule> {
      const value = normaliseRuleValue(rawValue);
      const cipher = await deps.crypto.forUser(userId);
      const hash = cipher.lookupHash(SENDER_RULE_CONTEXT, `${kind}\0${value}`);
      if (await findSenderRuleByHash(db, userId, kind, hash)) throw new SenderRuleExistsError();
      const id = newId();
      const now = deps.now();
      try {
        await insertSenderRule(db, { id, user_id: userId, kind, value: cipher.sealText(SENDER_RULE_CONTEXT, id, value), value_hash: hash, created_at: now });
      } catch (err) {
        if (await findSenderRuleByHash(db, userId, kind, hash)) throw new SenderRuleExistsError();
        throw err;
      }
      await changed(userId);
      return { id, value, createdAt: now };
    },

    async remove(userId: string, kind: SenderRuleKind, id: string): Promise<void> {
      if (!(await deleteSenderRule(db, userId, kind, id))) throw new SenderRuleNotFoundError();
      await changed(userId);
    },
  };
}

export type SenderRulesService = ReturnType<typeof createSenderRulesService>;
