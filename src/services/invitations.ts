import type { Kysely } from 'kysely';
import type { Config } from '../config/index.js';
import type { Database } from '../db/schema.js';
import { newId } from '../db/ids.js';
import { AppError, NotFoundError } from '../errors.js';
import { invitationsRepository } from '../repositories/access.js';
import type { AuditService, Viewer } from './audit.js';
import { rateRules, type Throttle } from './auth/throttle.js';
import { hashSecret, newSecret } from './auth/tokens.js';
import type { PublicUser, UsersService } from './users.js';

export interface InvitationInfo {
  id: string;
  role: 'admin' | 'user';
  createdAt: number;
  expiresAt: number;
  acceptedAt: number | null;
  acceptedUserId: string | null;
}

const DEFAULT_HOURS = 72;

/** One-time, expiring invitation links; only a hash of the token is stored. */
export function createInvitationsService(deps: {
  db: Kysely<Database>;
  config: Pick<Config, 'http'>;
  users: Pick<UsersService, 'create'>;
  audit: Pick<AuditService, 'record'>;
  throttle: Throttle;
  now: () => number;
}) {
  const { db, now } = deps;
  const baseUrl = deps.config.http.publicUrl ?? `http://${deps.config.http.host}:${deps.config.http.port}`;
  const requireAdmin = (viewer: Viewer) => {
    if (viewer.role !== 'admin') throw new AppError('FORBIDDEN', 'Only admins may do this', 403);
  };
  const openInvitation = async (token: string) => {
    const row = await invitationsRepository.findByHash(db, hashSecret(token));
    if (!row || row.accepted_at !== null || row.expires_at <= now()) {
      throw new AppError('INVITATION_INVALID', 'This invitation is unknown, used or expired', 404);
    }
    return row;
  };

  return {
    async create(viewer: Viewer, input: { role: 'admin' | 'user'; expiresInHours?: number }): Promise<InvitationInfo & { token: string; url: string }> {
      requireAdmin(viewer);
      const token = newSecret();
      const at = now();
      const row = {
        id: newId(),
        token_hash: hashSecret(token),
        role: input.role,
        created_by: viewer.id,
        created_at: at,
        expires_at: at + (input.expiresInHours ?? DEFAULT_HOURS) * 3_600_000,
        accepted_at: null,
        accepted_user_id: null,
      };
      await invitationsRepository.insert(db, row);
      // The token travels in the fragment, so it never reaches a server log or a Referer header.
      return { ...toInfo(row), token, url: `${baseUrl}/invite#${token}` };
    },

    async list(viewer: Viewer): Promise<InvitationInfo[]> {
      requireAdmin(viewer);
      return (await invitationsRepository.list(db)).map(toInfo);
    },

    async revoke(viewer: Viewer, id: string): Promise<void> {
      requireAdmin(viewer);
      if (!(await invitationsRepository.delete(db, id))) throw new NotFoundError('Invitation');
    },

    async inspect(token: string, ip: string): Promise<{ role: 'admin' | 'user'; expiresAt: number }> {
      await deps.throttle.hit(rateRules.invitation, ip);
      const row = await openInvitation(token);
      return { role: row.role, expiresAt: row.expires_at };
    },

    async accept(token: string, input: { username: string; password: string; language?: 'de' | 'en' }, ip: string): Promise<PublicUser> {
      await deps.throttle.hit(rateRules.invitation, ip);
      const row = await openInvitation(token);
      if (!(await invitationsRepository.claim(db, row.id, now()))) {
        throw new AppError('INVITATION_INVALID', 'This invitation is unknown, used or expired', 404);
      }
      try {
        const user = await deps.users.create({ ...input, role: row.role }, 'cli', ip);
        await invitationsRepository.setAcceptedUser(db, row.id, user.id);
        return user;
      } catch (err) {
        // A taken name or weak password must not burn the invitation.
        await invitationsRepository.release(db, row.id);
        throw err;
      }
    },
  };
}

function toInfo(row: { id: string; role: 'admin' | 'user'; created_at: number; expires_at: number; accepted_at: number | null; accepted_user_id: string | null }): InvitationInfo {
  return { id: row.id, role: row.role, createdAt: row.created_at, expiresAt: row.expires_at, acceptedAt: row.accepted_at, acceptedUserId: row.accepted_user_id };
}

export type InvitationsService = ReturnType<typeof createInvitationsService>;
