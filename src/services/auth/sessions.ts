import type { Kysely } from 'kysely';
import type { Config } from '../../config/index.js';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { sessionsRepository, type SessionRow } from '../../repositories/sessions.js';
import { usersRepository, type UserRow } from '../../repositories/users.js';
import type { AuditService } from '../audit.js';
import { toPublicUser, type PublicUser, type UsersService } from '../users.js';
import { verifyPassword } from './passwords.js';
import { rateRules, type Throttle } from './throttle.js';
import { hashSecret, newSecret, secretsEqual } from './tokens.js';

/** last_seen is written at most this often, so reads do not turn into writes. */
const TOUCH_INTERVAL_MS = 60_000;

export interface SessionAuth {
  user: PublicUser;
  sessionHash: string;
  csrfToken: string;
  stepUpAt: number | null;
}

export interface NewSession {
  token: string;
  csrfToken: string;
  user: PublicUser;
  expiresAt: number;
}

export interface ClientInfo {
  ip: string;
  userAgent?: string;
}

export interface AuthServiceDeps {
  db: Kysely<Database>;
  config: Pick<Config, 'sessions'>;
  audit: Pick<AuditService, 'record'>;
  throttle: Throttle;
  users: Pick<UsersService, 'setPassword'>;
  now: () => number;
}

export function createAuthService(deps: AuthServiceDeps) {
  const { db, audit, throttle, now } = deps;
  const idleMs = deps.config.sessions.idleMinutes * 60_000;
  const absoluteMs = deps.config.sessions.absoluteHours * 3_600_000;

  async function startSession(user: UserRow, client: ClientInfo, previousHash?: string): Promise<NewSession> {
    // Rotation: the id a visitor had before signing in is never the id of the signed-in session.
    if (previousHash) await sessionsRepository.delete(db, previousHash);
    const token = newSecret();
    const csrfToken = newSecret();
    const at = now();
    const expiresAt = at + absoluteMs;
    await sessionsRepository.insert(db, {
      id_hash: hashSecret(token),
      user_id: user.id,
      csrf_token: csrfToken,
      created_at: at,
      last_seen_at: at,
      expires_at: expiresAt,
      step_up_at: at,
      ip: client.ip,
      user_agent: client.userAgent?.slice(0, 300) ?? null,
    });
    return { token, csrfToken, user: toPublicUser(user), expiresAt };
  }

  return {
    startSession,

    /**
     * Password sign-in. Unknown names cost one verification against a dummy hash and get the same
     * answers as known ones; delays grow per account and per IP; a lock applies only after the
     * correct password, so guessing can never lock the real user out.
     */
    async login(input: { username: string; password: string }, client: ClientInfo, previousHash?: string): Promise<NewSession> {
      await throttle.hit(rateRules.login, client.ip);
      const accountKey = `acct:${input.username.trim().toLowerCase()}`;
      const ipKey = `ip:${client.ip}`;
      await throttle.assertAllowed([accountKey, ipKey]);

      const user = await usersRepository.findByUsername(db, input.username.trim());
      const ok = await verifyPassword(user?.password_hash ?? null, input.password);
      if (!user || !ok) {
        const failures = await throttle.recordFailure([accountKey, ipKey]);
        await audit.record('login.failed', { userId: user?.id ?? null, ip: client.ip, details: { failures } });
        throw new AppError('INVALID_CREDENTIALS', 'User name or password is wrong', 401);
      }
      if (user.is_disabled === 1) throw new AppError('ACCOUNT_DISABLED', 'This account is disabled', 403);
      if (user.locked_until !== null && user.locked_until > now()) {
        throw new AppError('ACCOUNT_LOCKED', 'This account is locked; try again later or ask an admin', 423, {
          retryAfterSeconds: Math.ceil((user.locked_until - now()) / 1000),
        });
      }
      await throttle.clear(accountKey);
      const session = await startSession(user, client, previousHash);
      await audit.record('login.ok', { userId: user.id, ip: client.ip });
      return session;
    },

    /** The session behind a cookie value, or null when it is unknown, expired, idle too long or its user is disabled. */
    async authenticate(token: string): Promise<SessionAuth | null> {
      if (!token || token.length > 128) return null;
      const hash = hashSecret(token);
      const session = await sessionsRepository.findByHash(db, hash);
      if (!session) return null;
      const t = now();
      if (session.expires_at <= t || session.last_seen_at + idleMs <= t) {
        await sessionsRepository.delete(db, hash);
        return null;
      }
      const user = await usersRepository.findById(db, session.user_id);
      if (!user || user.is_disabled === 1) {
        await sessionsRepository.delete(db, hash);
        return null;
      }
      if (t - session.last_seen_at >= TOUCH_INTERVAL_MS) await sessionsRepository.touch(db, hash, t);
      return { user: toPublicUser(user), sessionHash: hash, csrfToken: session.csrf_token, stepUpAt: session.step_up_at };
    },

    isCsrfValid(auth: SessionAuth, presented: string | undefined): boolean {
      return typeof presented === 'string' && secretsEqual(presented, auth.csrfToken);
    },

    async logout(auth: SessionAuth, ip: string): Promise<void> {
      await sessionsRepository.delete(db, auth.sessionHash);
      await audit.record('logout', { userId: auth.user.id, ip });
    },

    /** Changing one's own password needs the current one; every session of the user ends and the caller gets a fresh one. */
    async changeOwnPassword(auth: SessionAuth, input: { currentPassword: string; newPassword: string }, client: ClientInfo): Promise<NewSession> {
      const ip = client.ip;
      await throttle.hit(rateRules.login, ip);
      const user = await usersRepository.findById(db, auth.user.id);
      if (!user) throw new AppError('UNAUTHENTICATED', 'Sign in first', 401);
      const accountKey = `acct:${user.username.toLowerCase()}`;
      await throttle.assertAllowed([accountKey]);
      if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
        await throttle.recordFailure([accountKey, `ip:${ip}`]);
        throw new AppError('INVALID_CREDENTIALS', 'The current password is wrong', 401);
      }
      await deps.users.setPassword(user.id, input.newPassword, { id: user.id, role: user.role }, { ip });
      const updated = await usersRepository.findById(db, user.id);
      return startSession(updated!, client);
    },

    async purgeExpired(): Promise<number> {
      return sessionsRepository.purgeExpired(db, now(), idleMs);
    },

    cookieMaxAgeSeconds(): number {
      return Math.floor(absoluteMs / 1000);
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
export type { SessionRow };
