import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError } from '../errors.js';
import { settingsRepository } from '../repositories/settings.js';
import { usersRepository } from '../repositories/users.js';
import type { AuditService } from './audit.js';
import { rateRules, type Throttle } from './auth/throttle.js';
import { hashSecret, newSecret, secretsEqual } from './auth/tokens.js';
import type { PublicUser, UsersService } from './users.js';

const TOKEN_KEY = 'setup.token_hash';
const DONE_KEY = 'setup.done';

export function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

/**
 * First run: the first visitor from this machine creates the admin; from anywhere else only with the
 * one-time token printed on the console at start.
 */
export function createSetupService(deps: {
  db: Kysely<Database>;
  users: Pick<UsersService, 'create'>;
  audit: Pick<AuditService, 'record'>;
  throttle: Throttle;
  now: () => number;
}) {
  const { db, now } = deps;
  return {
    async isNeeded(): Promise<boolean> {
      return (await usersRepository.count(db)) === 0 && (await settingsRepository.get(db, DONE_KEY)) === undefined;
    },

    /** A fresh one-time token while setup is pending (null once it is done); the caller prints it. */
    async issueToken(): Promise<string | null> {
      if (!(await this.isNeeded())) return null;
      const token = newSecret();
      await settingsRepository.set(db, TOKEN_KEY, hashSecret(token), now());
      return token;
    },

    async run(input: { username: string; password: string; setupToken?: string }, ip: string): Promise<PublicUser> {
      await deps.throttle.hit(rateRules.setup, ip);
      if (!(await this.isNeeded())) throw new AppError('SETUP_DONE', 'This instance is already set up', 409);
      if (!isLoopback(ip)) {
        const stored = await settingsRepository.get(db, TOKEN_KEY);
        if (!stored || !input.setupToken || !secretsEqual(hashSecret(input.setupToken), stored)) {
          throw new AppError('SETUP_TOKEN_REQUIRED', 'Setup from another machine needs the one-time token printed on the server console', 403);
        }
      }
      // The marker is the once-only gate: of two racing setups, exactly one inserts it.
      if (!(await settingsRepository.insertOnce(db, DONE_KEY, String(now()), now()))) {
        throw new AppError('SETUP_DONE', 'This instance is already set up', 409);
      }
      try {
        const admin = await deps.users.create({ username: input.username, password: input.password, role: 'admin' }, 'cli', ip);
        await settingsRepository.delete(db, TOKEN_KEY);
        await deps.audit.record('setup.used', { userId: admin.id, ip });
        return admin;
      } catch (err) {
        await settingsRepository.delete(db, DONE_KEY);
        throw err;
      }
    },
  };
}

export type SetupService = ReturnType<typeof createSetupService>;
