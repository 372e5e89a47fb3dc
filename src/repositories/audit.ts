import type { AuditEventsTable, Executor } from '../db/schema.js';

export type AuditEventRow = AuditEventsTable;

export const auditRepository = {
  async insert(ex: Executor, row: AuditEventRow): Promise<void> {
    await ex.insertInto('audit_events').values(row).execute();
  },

  /** Newest first; `userId` null lists everyone's events (admins only — the service checks). */
  async list(ex: Executor, userId: string | null, options: { before?: string; limit: number }): Promise<AuditEventRow[]> {
    let q = ex.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(options.limit);
    if (userId) q = q.where('user_id', '=', userId);
    if (options.before) q = q.where('id', '<', options.before);
    return q.execute();
  },
};
