import type { Insertable, Selectable } from 'kysely';
import type { Executor, SenderRulesTable } from '../db/schema.js';

/** VIP sender patterns and own domains per user (the analyser's signals). Every query is scoped by user id. */

export type SenderRuleRow = Selectable<SenderRulesTable>;
export type SenderRuleKind = SenderRulesTable['kind'];

export async function listSenderRules(ex: Executor, userId: string, kind?: SenderRuleKind): Promise<SenderRuleRow[]> {
  let q = ex.selectFrom('sender_rules').selectAll().where('user_id', '=', userId);
  if (kind) q = q.where('kind', '=', kind);
  return q.orderBy('created_at').orderBy('id').execute();
}

export async function findSenderRuleByHash(ex: Executor, userId: string, kind: SenderRuleKind, valueHash: Buffer): Promise<SenderRuleRow | null> {
  return (await ex.selectFrom('sender_rules').selectAll().where('user_id', '=', userId).where('kind', '=', kind).where('value_hash', '=', valueHash).executeTakeFirst()) ?? null;
}

export async function insertSenderRule(ex: Executor, row: Insertable<SenderRulesTable>): Promise<void> {
  await ex.insertInto('sender_rules').values(row).execute();
}

export async function deleteSenderRule(ex: Executor, userId: string, kind: SenderRuleKind, id: string): Promise<boolean> {
  const res = await ex.deleteFrom('sender_rules').where('user_id', '=', userId).where('kind', '=', kind).where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) === 1;
}
