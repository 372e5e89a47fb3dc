import type { Kysely } from 'kysely';
import type { Database, Executor } from '../db/schema.js';
import { newId } from '../db/ids.js';
import { auditRepository, type AuditEventRow } from '../repositories/audit.js';
import { AppError } from '../errors.js';

export type AuditEvent =
  | 'setup.used'
  | 'login.ok'
  | 'login.failed'
  | 'login.locked'
  | 'logout'
  | 'password.changed'
  | 'user.created'
  | 'user.disabled'
  | 'user.enabled'
  | 'user.deleted'
  | 'user.role_changed';

export interface AuditEntry {
  id: string;
  event: string;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  at: number;
}

export interface Viewer {
  id: string;
  role: 'admin' | 'user';
}

/** Security events: who, what, when, from where — never a secret. */
export function createAuditService(deps: { db: Kysely<Database>; now: () => number }) {
  return {
    async record(
      event: AuditEvent,
      fields: { userId?: string | null; actorId?: string | null; ip?: string | null; details?: Record<string, string | number | boolean> },
      ex: Executor = deps.db,
    ): Promise<void> {
      await auditRepository.insert(ex, {
        id: newId(),
        event,
        user_id: fields.userId ?? null,
        actor_id: fields.actorId ?? null,
        ip: fields.ip ?? null,
        details: JSON.stringify(fields.details ?? {}),
        created_at: deps.now(),
      });
    },

    /** Each user sees their own events; `all` is for admins only. */
    async list(viewer: Viewer, options: { all?: boolean; before?: string; limit?: number } = {}): Promise<AuditEntry[]> {
      if (options.all && viewer.role !== 'admin') throw new AppError('FORBIDDEN', 'Only admins see everyone’s audit log', 403);
      const rows = await auditRepository.list(deps.db, options.all ? null : viewer.id, {
        before: options.before,
        limit: Math.min(Math.max(options.limit ?? 100, 1), 500),
      });
      return rows.map(toEntry);
    },
  };
}

function toEntry(row: AuditEventRow): AuditEntry {
  return {
    id: row.id,
    event: row.event,
    userId: row.user_id,
    actorId: row.actor_id,
    ip: row.ip,
    details: JSON.parse(row.details) as Record<string, unknown>,
    at: row.created_at,
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
