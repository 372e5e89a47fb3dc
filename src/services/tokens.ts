import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { newId } from '../db/ids.js';
import { AppError, NotFoundError } from '../errors.js';
import { apiTokensRepository } from '../repositories/access.js';
import { usersRepository } from '../repositories/users.js';
import { hashSecret, newSecret } from './auth/tokens.js';
import { toPublicUser, type PublicUser } from './users.js';

export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiTokenInfo {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
}

export interface TokenAuth {
  user: PublicUser;
  tokenId: string;
  scopes: Scope[];
}

const TOKEN_PREFIX = 'mh_';
const TOUCH_INTERVAL_MS = 60_000;

/** Personal API tokens: shown once, stored as a hash, listed and revoked by their owner. */
export function createTokensService(deps: { db: Kysely<Database>; now: () => number }) {
  const { db, now } = deps;
  return {
    async create(userId: string, input: { name: string; scopes: Scope[]; expiresInDays?: number }): Promise<ApiTokenInfo & { token: string }> {
      const user = await usersRepository.findById(db, userId);
      if (!user) throw new NotFoundError('User');
      const scopes = [...new Set(input.scopes)].filter((s) => SCOPES.includes(s));
      if (scopes.length === 0) throw new AppError('VALIDATION_FAILED', 'A token needs at least one scope', 400);
      if (scopes.includes('admin') && user.role !== 'admin') throw new AppError('FORBIDDEN', 'Only admins may create admin tokens', 403);
      const token = TOKEN_PREFIX + newSecret();
      const at = now();
      const row = {
        id: newId(),
        user_id: userId,
        name: input.name.trim().slice(0, 100) || 'token',
        token_hash: hashSecret(token),
        scopes: scopes.join(','),
        created_at: at,
        last_used_at: null,
        expires_at: input.expiresInDays ? at + input.expiresInDays * 86_400_000 : null,
      };
      await apiTokensRepository.insert(db, row);
      return { ...toInfo(row), token };
    },

    async list(userId: string): Promise<ApiTokenInfo[]> {
      return (await apiTokensRepository.list(db, userId)).map(toInfo);
    },

    async revoke(userId: string, id: string): Promise<void> {
      if (!(await apiTokensRepository.delete(db, userId, id))) throw new NotFoundError('Token');
    },

    /** The owner behind a bearer token, or null for an unknown, expired or disabled one. */
    async authenticate(token: string): Promise<TokenAuth | null> {
      if (!token.startsWith(TOKEN_PREFIX) || token.length > 128) return null;
      const row = await apiTokensRepository.findByHash(db, hashSecret(token));
      const t = now();
      if (!row || (row.expires_at !== null && row.expires_at <= t)) return null;
      const user = await usersRepository.findById(db, row.user_id);
      if (!user || user.is_disabled === 1) return null;
      if (row.last_used_at === null || t - row.last_used_at >= TOUCH_INTERVAL_MS) await apiTokensRepository.touch(db, row.user_id, row.id, t);
      return { user: toPublicUser(user), tokenId: row.id, scopes: row.scopes.split(',') as Scope[] };
    },
  };
}

function toInfo(row: { id: string; name: string; scopes: string; created_at: number; last_used_at: number | null; expires_at: number | null }): ApiTokenInfo {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.split(',') as Scope[],
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
  };
}

export type TokensService = ReturnType<typeof createTokensService>;
