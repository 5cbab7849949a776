import { randomUUID } from 'node:crypto';
import { PorticoError } from '@portico/sdk';
import type { Kysely, Selectable } from 'kysely';
import type { Database, UsersTable } from '../store/database.js';
import { isForeignKeyViolation, isUniqueViolation } from '../store/errors.js';
import type { User } from './model.js';
import { toUser } from './rows.js';

/** A user row with its password hash, for login only. */
export type UserWithHash = Selectable<UsersTable>;

/** Fields an admin may change on a user. */
export interface UserPatch {
  email?: string | null;
  roles?: string[];
  active?: boolean;
  passwordHash?: string;
}

/**
 * Users in the store. Usernames are compared in lowercase, so `Alice` and `alice` are one user.
 *
 * @example
 * ```ts
 * const user = await users.create('acme', { username: 'alice', email: null, passwordHash, roles: ['user'] });
 * ```
 */
export class Users {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(
    tenant: string,
    input: { username: string; email: string | null; passwordHash: string; roles: string[] },
  ): Promise<User> {
    try {
      const row = await this.#db
        .insertInto('users')
        .values({
          id: randomUUID(),
          tenant,
          username: input.username.toLowerCase(),
          email: input.email,
          password_hash: input.passwordHash,
          roles: JSON.stringify(input.roles),
          active: true,
          last_login_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toUser(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new PorticoError('CONFLICT', `user ${input.username} already exists in tenant ${tenant}`);
      }
      if (isForeignKeyViolation(error)) throw new PorticoError('NOT_FOUND', `tenant ${tenant} does not exist`);
      throw error;
    }
  }

  async byUsername(tenant: string, username: string): Promise<UserWithHash | undefined> {
    return this.#db
      .selectFrom('users')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('username', '=', username.toLowerCase())
      .executeTakeFirst();
  }

  async byId(tenant: string, id: string): Promise<UserWithHash | undefined> {
    return this.#db
      .selectFrom('users')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The user, or `NOT_FOUND`; the tenant is part of the key, so an id from another tenant is not found. */
  async require(tenant: string, id: string): Promise<UserWithHash> {
    const row = await this.byId(tenant, id);
    if (!row) throw new PorticoError('NOT_FOUND', `user ${id} does not exist in tenant ${tenant}`, { id });
    return row;
  }

  /** One page of a tenant's users, by username; `after` is the previous page's last username. */
  async list(tenant: string, page: { limit: number; after?: string }): Promise<{ users: User[]; next: string | null }> {
    let query = this.#db
      .selectFrom('users')
      .selectAll()
      .where('tenant', '=', tenant)
      .orderBy('username')
      .limit(page.limit + 1);
    if (page.after !== undefined) query = query.where('username', '>', page.after);
    const rows = await query.execute();
    const users = rows.slice(0, page.limit).map(toUser);
    return { users, next: rows.length > page.limit ? (users.at(-1)?.username ?? null) : null };
  }

  async update(tenant: string, id: string, patch: UserPatch): Promise<User> {
    const set: Record<string, unknown> = { updated_at: new Date() };
    if (patch.email !== undefined) set.email = patch.email;
    if (patch.roles !== undefined) set.roles = JSON.stringify(patch.roles);
    if (patch.active !== undefined) set.active = patch.active;
    if (patch.passwordHash !== undefined) set.password_hash = patch.passwordHash;
    const row = await this.#db
      .updateTable('users')
      .set(set)
      .where('tenant', '=', tenant)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new PorticoError('NOT_FOUND', `user ${id} does not exist in tenant ${tenant}`, { id });
    return toUser(row);
  }

  async delete(tenant: string, id: string): Promise<User> {
    const row = await this.#db
      .deleteFrom('users')
      .where('tenant', '=', tenant)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new PorticoError('NOT_FOUND', `user ${id} does not exist in tenant ${tenant}`, { id });
    return toUser(row);
  }

  /** Records a successful login, and a new hash when the password was rehashed. */
  async loggedIn(id: string, rehashed?: string): Promise<void> {
    const set: { last_login_at: Date; password_hash?: string } = { last_login_at: new Date() };
    if (rehashed) set.password_hash = rehashed;
    await this.#db.updateTable('users').set(set).where('id', '=', id).execute();
  }

  /** How many users hold `role` in `tenant`, to refuse deleting a role in use. */
  async countWithRole(tenant: string, role: string): Promise<number> {
    const rows = await this.#db.selectFrom('users').select('roles').where('tenant', '=', tenant).execute();
    return rows.filter((row) => row.roles.includes(role)).length;
  }

  /** The ids of every user of `tenant`, to end their tokens when the tenant goes. */
  async idsOf(tenant: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('users').select('id').where('tenant', '=', tenant).execute();
    return rows.map((row) => row.id);
  }
}
