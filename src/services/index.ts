import type { Kysely } from 'kysely';
import type { Config } from '../config/index.js';
import type { Database } from '../db/schema.js';
import { createAuditService } from './audit.js';
import { createAuthService } from './auth/sessions.js';
import { createThrottle } from './auth/throttle.js';
import { createTwoFactorService, type SecretSealer } from './auth/two-factor.js';
import { createInvitationsService } from './invitations.js';
import { createSetupService } from './setup.js';
import { createTokensService } from './tokens.js';
import { createUsersService } from './users.js';

export interface ServiceDeps {
  db: Kysely<Database>;
  config: Config;
  /** Seals per-user secrets with the user's data key. */
  sealer: SecretSealer;
  /** Creates a user's data key right after the user row exists. */
  onUserCreated?: (userId: string) => Promise<void>;
  now?: () => number;
}

/** Builds every domain service once per process; routes and CLI commands take what they need from it. */
export function createServices(deps: ServiceDeps) {
  const now = deps.now ?? Date.now;
  const { db, config } = deps;
  const audit = createAuditService({ db, now });
  const throttle = createThrottle({ db, now });
  const users = createUsersService({ db, audit, now, onUserCreated: deps.onUserCreated });
  const twoFactor = createTwoFactorService({ db, sealer: deps.sealer, now });
  const auth = createAuthService({ db, config, audit, throttle, users, twoFactor, now });
  const setup = createSetupService({ db, users, audit, throttle, now });
  const tokens = createTokensService({ db, now });
  const invitations = createInvitationsService({ db, config, users, audit, throttle, now });
  return { audit, throttle, users, twoFactor, auth, setup, tokens, invitations };
}

export type Services = ReturnType<typeof createServices>;
