import { PorticoError } from '@portico/sdk';
import type { Kysely, Selectable } from 'kysely';
import type { Database, RolesTable } from '../store/database.js';
import { isForeignKeyViolation, isUniqueViolation } from '../store/errors.js';
import type { Role } from './model.js';
import { BUILT_IN_ROLES, isBuiltInRole } from './permissions.js';

const toRole = (row: Selectable<RolesTable>): Role => ({
  tenant: row.tenant,
  name: row.name,
  description: row.description,
  permissions: row.permissions,
  builtIn: false,
});

const BUILT_IN: Role[] = Object.entries(BUILT_IN_ROLES).map(([name, permissions]) => ({
  tenant: null,
  name,
  description: `built-in role ${name}`,
  permissions: [...permissions],
  builtIn: true,
}));

/**
 * Roles: the built-in ones (in code) and each tenant's custom roles (in the store).
 *
 * @example
 * ```ts
 * await roles.create('acme', { name: 'editor', description: 'edits posts', permissions: ['posts.*'] });
 * await roles.permissionMap('acme'); // Map { 'editor' => ['posts.*'] }
 * ```
 */
export class Roles {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async list(tenant: string): Promise<Role[]> {
    const rows = await this.#db.selectFrom('roles').selectAll().where('tenant', '=', tenant).orderBy('name').execute();
    return [...BUILT_IN, ...rows.map(toRole)];
  }

  /** Custom roles of a tenant by name, for expanding a user's roles into permissions. */
  async permissionMap(tenant: string): Promise<Map<string, string[]>> {
    const rows = await this.#db
      .selectFrom('roles')
      .select(['name', 'permissions'])
      .where('tenant', '=', tenant)
      .execute();
    return new Map(rows.map((row) => [row.name, row.permissions]));
  }

  /** Throws `VALIDATION_ERROR` naming the roles that neither are built in nor exist in the tenant. */
  async requireExisting(tenant: string, names: readonly string[]): Promise<void> {
    const custom = await this.permissionMap(tenant);
    const unknown = names.filter((name) => !isBuiltInRole(name) && !custom.has(name));
    if (unknown.length > 0) {
      throw new PorticoError('VALIDATION_ERROR', `unknown roles: ${unknown.join(', ')}`, {
        field: 'roles',
        unknown,
      });
    }
  }

  async create(tenant: string, input: { name: string; description: string; permissions: string[] }): Promise<Role> {
    if (isBuiltInRole(input.name)) throw new PorticoError('CONFLICT', `${input.name} is a built-in role`);
    try {
      const row = await this.#db
        .insertInto('roles')
        .values({
          tenant,
          name: input.name,
          description: input.description,
          permissions: JSON.stringify(input.permissions),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRole(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new PorticoError('CONFLICT', `role ${input.name} already exists`);
      if (isForeignKeyViolation(error)) throw new PorticoError('NOT_FOUND', `tenant ${tenant} does not exist`);
      throw error;
    }
  }

  async update(tenant: string, name: string, patch: { description?: string; permissions?: string[] }): Promise<Role> {
    if (isBuiltInRole(name)) throw new PorticoError('CONFLICT', `${name} is a built-in role and cannot change`);
    const set: Record<string, unknown> = { updated_at: new Date() };
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.permissions !== undefined) set.permissions = JSON.stringify(patch.permissions);
    const row = await this.#db
      .updateTable('roles')
      .set(set)
      .where('tenant', '=', tenant)
      .where('name', '=', name)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new PorticoError('NOT_FOUND', `role ${name} does not exist in tenant ${tenant}`);
    return toRole(row);
  }

  async delete(tenant: string, name: string): Promise<Role> {
    if (isBuiltInRole(name)) throw new PorticoError('CONFLICT', `${name} is a built-in role and cannot be deleted`);
    const row = await this.#db
      .deleteFrom('roles')
      .where('tenant', '=', tenant)
      .where('name', '=', name)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new PorticoError('NOT_FOUND', `role ${name} does not exist in tenant ${tenant}`);
    return toRole(row);
  }
}
