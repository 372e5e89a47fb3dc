import { sql } from 'kysely';
import type { Executor, UsersTable } from '../db/schema.js';

export type UserRow = UsersTable;
export type Role = UsersTable['role'];

/** All SQL about users. Look-ups by name are case-insensitive, matching the unique index. */
export const usersRepository = {
  async insert(ex: Executor, row: UserRow): Promise<void> {
    await ex.insertInto('users').values(row).execute();
  },

  async findById(ex: Executor, id: string): Promise<UserRow | undefined> {
    return ex.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findByUsername(ex: Executor, username: string): Promise<UserRow | undefined> {
    return ex
      .selectFrom('users')
      .selectAll()
      .where(sql`lower(username)`, '=', username.toLowerCase())
      .executeTakeFirst();
  },

  async list(ex: Executor): Promise<UserRow[]> {
    return ex.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute();
  },

  async count(ex: Executor): Promise<number> {
    const row = await ex.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  },

  async countActiveAdmins(ex: Executor): Promise<number> {
    const row = await ex
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', 'admin')
      .where('is_disabled', '=', 0)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  async update(ex: Executor, id: string, patch: Partial<Omit<UserRow, 'id' | 'created_at'>>): Promise<boolean> {
    const result = await ex.updateTable('users').set(patch).where('id', '=', id).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Deletes the user; every user-owned table cascades. */
  async delete(ex: Executor, id: string): Promise<boolean> {
    const result = await ex.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  },
};
