import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

export interface ActingUser {
  id: string;
  role: 'admin' | 'user';
}

/** Who is asking: wired to sessions and API tokens by the auth plugin; null when nobody is signed in. */
export type ResolveUser = (request: FastifyRequest) => Promise<ActingUser | null>;

export async function requireUser(request: FastifyRequest, resolveUser: ResolveUser): Promise<ActingUser> {
  const user = await resolveUser(request);
  if (!user) throw new AppError('UNAUTHENTICATED', 'Sign in first', 401);
  return user;
}

export async function requireAdmin(request: FastifyRequest, resolveUser: ResolveUser): Promise<ActingUser> {
  const user = await requireUser(request, resolveUser);
  if (user.role !== 'admin') throw new AppError('FORBIDDEN', 'Only administrators may do this', 403);
  return user;
}
