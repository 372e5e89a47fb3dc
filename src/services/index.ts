import type { Kysely } from 'kysely';
import type { Config } from '../config/index.js';
import type { Database } from '../db/schema.js';
import { createAuditService } from './audit.js';
import { createAuthService } from './auth/sessions.js';
import { createThrottle } from './auth/throttle.js';
import { createSetupService } from './setup.js';
import { createUsersService } from './users.js';

export interface ServiceDeps {
  db: Kysely<Database>;
  config: Config;
  now?: () => number;
}

/** Builds every domain service once per process; routes and CLI commands take what they need from it. */
export function createServices(deps: ServiceDeps) {
  const now = deps.now ?? Date.now;
  const { db } = deps;
  const audit = createAuditService({ db, now });
  const throttle = createThrottle({ db, now });
  const users = createUsersService({ db, audit, now });
  const auth = createAuthService({ db, config: deps.config, audit, throttle, users, now });
  const setup = createSetupService({ db, users, audit, throttle, now });
  return { audit, throttle, users, auth, setup };
}

export type Services = ReturnType<typeof createServices>;
