import type { Kysely } from 'kysely';
import type { Config } from '../../config/index.js';
import type { Database, SessionsTable } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { sessionsRepository } from '../../repositories/sessions.js';
import { usersRepository, type UserRow } from '../../repositories/users.js';
import type { AuditService } from '../audit.js';
import { toPublicUser, type PublicUser, type UsersService } from '../users.js';
import { verifyPassword } from './passwords.js';
import { rateRules, type Throttle } from './throttle.js';
import { hashSecret, newSecret, secretsEqual } from './tokens.js';
import type { SecondFactor, TwoFactorService } from './two-factor.js';

/** last_seen is written at most this often, so reads do not turn into writes. */
const TOUCH_INTERVAL_MS = 60_000;
/** Between password and second factor a session lives this long. */
const PENDING_2FA_MS = 10 * 60_000;
/** Sensitive changes need a password (and code) entered this recently. */
export const STEP_UP_WINDOW_MS = 5 * 60_000;
/** Wrong second factors after a correct password lock the account for a while. */
const SECOND_FACTOR_FAILURES_BEFORE_LOCK = 5;
const LOCK_MS = 15 * 60_000;

export interface SessionAuth {
  kind: 'session';
  user: PublicUser;
  sessionHash: string;
  csrfToken: string;
  stepUpAt: number | null;
  state: SessionsTable['state'];
  twoFactorEnabled: boolean;
}

export interface NewSession {
  token: string;
  csrfToken: string;
  user: PublicUser;
  state: SessionsTable['state'];
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
  twoFactor: Pick<TwoFactorService, 'verify'>;
  now: () => number;
}

export function createAuthService(deps: AuthServiceDeps) {
  const { db, audit, throttle, now } = deps;
  const idleMs = deps.config.sessions.idleMinutes * 60_000;
  const absoluteMs = deps.config.sessions.absoluteHours * 3_600_000;
  const accountKey = (username: string) => `acct:${username.trim().toLowerCase()}`;

  async function startSession(user: UserRow, client: ClientInfo, state: SessionsTable['state'], previousHash?: string): Promise<NewSession> {
    // Rotation: the id a browser had before is never the id of the new, more privileged session.
    if (previousHash) await sessionsRepository.delete(db, previousHash);
    const token = newSecret();
    const csrfToken = newSecret();
    const at = now();
    const expiresAt = state === 'full' ? at + absoluteMs : at + PENDING_2FA_MS;
    await sessionsRepository.insert(db, {
      id_hash: hashSecret(token),
      user_id: user.id,
      csrf_token: csrfToken,
      created_at: at,
      last_seen_at: at,
      expires_at: expiresAt,
      step_up_at: state === 'full' ? at : null,
      ip: client.ip,
      user_agent: client.userAgent?.slice(0, 300) ?? null,
      state,
    });
    return { token, csrfToken, user: toPublicUser(user), state, expiresAt };
  }

  /** Password check shared by sign-in, step-up and password change: throttled per account and IP. */
  async function checkPassword(user: UserRow | undefined, username: string, password: string, ip: string): Promise<UserRow> {
    await throttle.assertAllowed([accountKey(username), `ip:${ip}`]);
    const ok = await verifyPassword(user?.password_hash ?? null, password);
    if (!user || !ok) {
      const failures = await throttle.recordFailure([accountKey(username), `ip:${ip}`]);
      await audit.record('login.failed', { userId: user?.id ?? null, ip, details: { failures } });
      throw new AppError('INVALID_CREDENTIALS', 'User name or password is wrong', 401);
    }
    return user;
  }

  function assertUsable(user: UserRow): void {
    if (user.is_disabled === 1) throw new AppError('ACCOUNT_DISABLED', 'This account is disabled', 403);
    if (user.locked_until !== null && user.locked_until > now()) {
      throw new AppError('ACCOUNT_LOCKED', 'This account is locked for a while after wrong codes; try later or ask an admin', 423, {
        retryAfterSeconds: Math.ceil((user.locked_until - now()) / 1000),
      });
    }
  }

  /** Checks the second factor; wrong ones count toward the same delays, and enough of them lock the account. */
  async function checkSecondFactor(user: UserRow, factor: SecondFactor, ip: string): Promise<void> {
    const mfaKey = `mfa:${user.id}`;
    await throttle.assertAllowed([mfaKey, accountKey(user.username), `ip:${ip}`]);
    if (await deps.twoFactor.verify(user.id, factor)) {
      await throttle.clear(mfaKey);
      return;
    }
    const failures = await throttle.recordFailure([mfaKey, `ip:${ip}`]);
    await audit.record('login.failed', { userId: user.id, ip, details: { failures, factor: 'second' } });
    if (failures >= SECOND_FACTOR_FAILURES_BEFORE_LOCK) {
      await usersRepository.update(db, user.id, { locked_until: now() + LOCK_MS });
      await sessionsRepository.deleteForUser(db, user.id);
      await throttle.clear(mfaKey);
      await audit.record('login.locked', { userId: user.id, ip, details: { minutes: LOCK_MS / 60_000 } });
      throw new AppError('ACCOUNT_LOCKED', 'Too many wrong codes: the account is locked for 15 minutes', 423, { retryAfterSeconds: LOCK_MS / 1000 });
    }
    throw new AppError('TWO_FACTOR_CODE_INVALID', 'The code is wrong or was already used', 401);
  }

  return {
    /**
     * Password sign-in. Unknown names cost one verification against a dummy hash and get the same
     * answers as known ones; delays grow per account and per IP. With 2FA the session stays
     * `pending_2fa` until the second factor.
     */
    async login(input: { username: string; password: string }, client: ClientInfo, previousHash?: string): Promise<NewSession> {
      await throttle.hit(rateRules.login, client.ip);
      const user = await checkPassword(await usersRepository.findByUsername(db, input.username.trim()), input.username, input.password, client.ip);
      assertUsable(user);
      await throttle.clear(accountKey(input.username));
      const state = user.totp_enabled_at !== null ? 'pending_2fa' : 'full';
      const session = await startSession(user, client, state, previousHash);
      if (state === 'full') await audit.record('login.ok', { userId: user.id, ip: client.ip });
      return session;
    },

    async completeTwoFactor(auth: SessionAuth, factor: SecondFactor, client: ClientInfo): Promise<NewSession> {
      if (auth.state !== 'pending_2fa') throw new AppError('TWO_FACTOR_NOT_PENDING', 'No sign-in is waiting for a code', 409);
      await throttle.hit(rateRules.login, client.ip);
      const user = await usersRepository.findById(db, auth.user.id);
      if (!user) throw new AppError('UNAUTHENTICATED', 'Sign in first', 401);
      assertUsable(user);
      await checkSecondFactor(user, factor, client.ip);
      const session = await startSession(user, client, 'full', auth.sessionHash);
      await audit.record('login.ok', { userId: user.id, ip: client.ip, details: { factor: 'recoveryCode' in factor ? 'recovery' : 'totp' } });
      return session;
    },

    /** Re-authentication before sensitive changes: the password, and the code when 2FA is on. */
    async stepUp(auth: SessionAuth, input: { password: string } & Partial<{ code: string; recoveryCode: string }>, ip: string): Promise<number> {
      await throttle.hit(rateRules.login, ip);
      const user = await checkPassword(await usersRepository.findById(db, auth.user.id), auth.user.username, input.password, ip);
      assertUsable(user);
      if (user.totp_enabled_at !== null) {
        if (!input.code && !input.recoveryCode) throw new AppError('TWO_FACTOR_REQUIRED', 'Enter the code from your authenticator app too', 401);
        await checkSecondFactor(user, input.code ? { code: input.code } : { recoveryCode: input.recoveryCode! }, ip);
      }
      const at = now();
      await sessionsRepository.setStepUp(db, auth.sessionHash, user.id, at);
      return at;
    },

    hasRecentStepUp(auth: SessionAuth): boolean {
      return auth.stepUpAt !== null && now() - auth.stepUpAt <= STEP_UP_WINDOW_MS;
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
      return {
        kind: 'session',
        user: toPublicUser(user),
        sessionHash: hash,
        csrfToken: session.csrf_token,
        stepUpAt: session.step_up_at,
        state: session.state,
        twoFactorEnabled: user.totp_enabled_at !== null,
      };
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
      await throttle.hit(rateRules.login, client.ip);
      const user = await checkPassword(await usersRepository.findById(db, auth.user.id), auth.user.username, input.currentPassword, client.ip);
      await deps.users.setPassword(user.id, input.newPassword, { id: user.id, role: user.role }, { ip: client.ip });
      const updated = await usersRepository.findById(db, user.id);
      return startSession(updated!, client, 'full');
    },

    /** Ends every other session of the user (after 2FA changes), keeping the caller's. */
    async endOtherSessions(auth: SessionAuth): Promise<void> {
      await sessionsRepository.deleteForUser(db, auth.user.id, auth.sessionHash);
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
