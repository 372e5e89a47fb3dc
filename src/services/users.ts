import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { newId } from '../db/ids.js';
import { AppError, NotFoundError } from '../errors.js';
import { usersRepository, type Role, type UserRow } from '../repositories/users.js';
import { sessionsRepository } from '../repositories/sessions.js';
import type { AuditService, Viewer } from './audit.js';
import { checkPasswordPolicy, hashPassword } from './auth/passwords.js';

export interface PublicUser {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  language: string;
  createdAt: number;
}

export function toPublicUser(row: UserRow): PublicUser {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    disabled: row.is_disabled === 1,
    language: row.language,
    createdAt: row.created_at,
  };
}

/** Who acted, for the audit log: a signed-in user, or the operator at the shell. */
export type Actor = Viewer | 'cli';

const USERNAME = /^[a-zA-Z0-9][a-zA-Z0-9._@-]{1,62}[a-zA-Z0-9]$/;

export interface UsersServiceDeps {
  db: Kysely<Database>;
  audit: Pick<AuditService, 'record'>;
  now: () => number;
  /** Called after a user row exists (creates their data key once encryption is wired). */
  onUserCreated?: (userId: string) => Promise<void>;
}

export function createUsersService(deps: UsersServiceDeps) {
  const { db, audit, now } = deps;
  const actorId = (actor: Actor) => (actor === 'cli' ? null : actor.id);
  const requireAdmin = (actor: Actor) => {
    if (actor !== 'cli' && actor.role !== 'admin') throw new AppError('FORBIDDEN', 'Only admins may do this', 403);
  };
  const findOrThrow = async (id: string) => {
    const row = await usersRepository.findById(db, id);
    if (!row) throw new NotFoundError('User');
    return row;
  };
  /** Nobody may remove the last way to administer the instance. */
  const keepOneAdmin = async (target: UserRow) => {
    if (target.role === 'admin' && target.is_disabled === 0 && (await usersRepository.countActiveAdmins(db)) <= 1) {
      throw new AppError('LAST_ADMIN', 'The last active admin cannot be disabled, demoted or deleted', 409);
    }
  };

  return {
    async create(input: { username: string; password: string; role: Role; language?: string }, actor: Actor, ip?: string): Promise<PublicUser> {
      requireAdmin(actor);
      const username = input.username.trim();
      if (!USERNAME.test(username)) {
        throw new AppError('USERNAME_INVALID', 'User names have 3–64 letters, digits, dots, dashes, underscores or @', 400);
      }
      checkPasswordPolicy(input.password, username);
      if (await usersRepository.findByUsername(db, username)) throw new AppError('USERNAME_TAKEN', 'This user name is taken', 409);
      const at = now();
      const row: UserRow = {
        id: newId(),
        username,
        role: input.role,
        password_hash: await hashPassword(input.password),
        is_disabled: 0,
        language: input.language === 'de' ? 'de' : 'en',
        created_at: at,
        updated_at: at,
        password_changed_at: at,
        locked_until: null,
        totp_secret: null,
        totp_enabled_at: null,
        totp_last_step: null,
      };
      try {
        await usersRepository.insert(db, row);
      } catch (err) {
        // Two creations racing for one name: the unique index decides.
        if (/unique|duplicate/i.test((err as Error).message)) throw new AppError('USERNAME_TAKEN', 'This user name is taken', 409);
        throw err;
      }
      await deps.onUserCreated?.(row.id);
      await audit.record('user.created', { userId: row.id, actorId: actorId(actor), ip, details: { role: row.role } });
      return toPublicUser(row);
    },

    async get(id: string, viewer: Viewer): Promise<PublicUser> {
      if (viewer.role !== 'admin' && viewer.id !== id) throw new NotFoundError('User');
      return toPublicUser(await findOrThrow(id));
    },

    async findByUsername(username: string): Promise<PublicUser | undefined> {
      const row = await usersRepository.findByUsername(db, username);
      return row && toPublicUser(row);
    },

    async list(actor: Actor): Promise<PublicUser[]> {
      requireAdmin(actor);
      return (await usersRepository.list(db)).map(toPublicUser);
    },

    async setDisabled(id: string, disabled: boolean, actor: Actor, ip?: string): Promise<PublicUser> {
      requireAdmin(actor);
      const target = await findOrThrow(id);
      if (disabled) await keepOneAdmin(target);
      await usersRepository.update(db, id, { is_disabled: disabled ? 1 : 0, updated_at: now() });
      if (disabled) await sessionsRepository.deleteForUser(db, id);
      await audit.record(disabled ? 'user.disabled' : 'user.enabled', { userId: id, actorId: actorId(actor), ip });
      return toPublicUser(await findOrThrow(id));
    },

    /** The user's own interface language; only ever their own (the caller passes the signed-in id). */
    async setLanguage(userId: string, language: 'de' | 'en'): Promise<PublicUser> {
      await findOrThrow(userId);
      await usersRepository.update(db, userId, { language, updated_at: now() });
      return toPublicUser(await findOrThrow(userId));
    },

    async setRole(id: string, role: Role, actor: Actor, ip?: string): Promise<PublicUser> {
      requireAdmin(actor);
      const target = await findOrThrow(id);
      if (target.role === role) return toPublicUser(target);
      if (role !== 'admin') await keepOneAdmin(target);
      await usersRepository.update(db, id, { role, updated_at: now() });
      // A privilege change ends the user's sessions, so no old session carries the old rights.
      await sessionsRepository.deleteForUser(db, id);
      await audit.record('user.role_changed', { userId: id, actorId: actorId(actor), ip, details: { role } });
      return toPublicUser(await findOrThrow(id));
    },

    /**
     * Sets a new password and ends the user's sessions (all but `keepSessionHash`, the one that made
     * the change). Admins and the CLI may set anyone's; users change their own via the auth service.
     */
    async setPassword(id: string, password: string, actor: Actor, options: { ip?: string; keepSessionHash?: string } = {}): Promise<void> {
      if (actor !== 'cli' && actor.id !== id) requireAdmin(actor);
      const target = await findOrThrow(id);
      checkPasswordPolicy(password, target.username);
      const at = now();
      await usersRepository.update(db, id, { password_hash: await hashPassword(password), password_changed_at: at, updated_at: at, locked_until: null });
      await sessionsRepository.deleteForUser(db, id, options.keepSessionHash);
      await audit.record('password.changed', { userId: id, actorId: actorId(actor), ip: options.ip });
    },

    /** Deletes the user and, by cascade, all their data. */
    async delete(id: string, actor: Actor, ip?: string): Promise<void> {
      requireAdmin(actor);
      const target = await findOrThrow(id);
      await keepOneAdmin(target);
      await usersRepository.delete(db, id);
      await audit.record('user.deleted', { actorId: actorId(actor), ip, details: { userId: id } });
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
