import { PorticoError } from '@portico/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Tenant, TenantStatus } from './model.js';
import { toTenant } from './rows.js';

/** Fields `PATCH /v1/admin/tenants/{name}` may change. */
export interface TenantPatch {
  displayName?: string;
  status?: TenantStatus;
  enabledServices?: string[];
  config?: Record<string, unknown>;
}

/**
 * Tenants in the store.
 *
 * @example
 * ```ts
 * await tenants.create({ name: 'acme', displayName: 'Acme Inc.' });
 * await tenants.update('acme', { enabledServices: ['orders'] });
 * ```
 */
export class Tenants {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(input: { name: string; displayName: string } & Omit<TenantPatch, 'displayName'>): Promise<Tenant> {
    try {
      const row = await this.#db
        .insertInto('tenants')
        .values({
          name: input.name,
          display_name: input.displayName,
          status: input.status ?? 'active',
          enabled_services: JSON.stringify(input.enabledServices ?? []),
          config: JSON.stringify(input.config ?? {}),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toTenant(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new PorticoError('CONFLICT', `tenant ${input.name} already exists`);
      throw error;
    }
  }

  async get(name: string): Promise<Tenant | undefined> {
    const row = await this.#db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toTenant(row);
  }

  /** The tenant, or `NOT_FOUND`. */
  async require(name: string): Promise<Tenant> {
    const tenant = await this.get(name);
    if (!tenant) throw new PorticoError('NOT_FOUND', `tenant ${name} does not exist`, { tenant: name });
    return tenant;
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.#db.selectFrom('tenants').selectAll().orderBy('name').execute();
    return rows.map(toTenant);
  }

  async update(name: string, patch: TenantPatch): Promise<Tenant> {
    const set: Record<string, unknown> = { updated_at: new Date() };
    if (patch.displayName !== undefined) set.display_name = patch.displayName;
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.enabledServices !== undefined) set.enabled_services = JSON.stringify(patch.enabledServices);
    if (patch.config !== undefined) set.config = JSON.stringify(patch.config);
    const row = await this.#db
      .updateTable('tenants')
      .set(set)
      .where('name', '=', name)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new PorticoError('NOT_FOUND', `tenant ${name} does not exist`, { tenant: name });
    return toTenant(row);
  }

  /**
   * Removes the tenant; the store's foreign keys take its users (and their refresh tokens),
   * roles, API keys and service clients with it. `NOT_FOUND` when there is none.
   */
  async delete(name: string): Promise<Tenant> {
    const row = await this.#db.deleteFrom('tenants').where('name', '=', name).returningAll().executeTakeFirst();
    if (!row) throw new PorticoError('NOT_FOUND', `tenant ${name} does not exist`, { tenant: name });
    return toTenant(row);
  }
}
