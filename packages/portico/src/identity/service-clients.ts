import { randomUUID } from 'node:crypto';
import { PorticoError } from '@portico/sdk';
import type { Kysely, Selectable } from 'kysely';
import type { Database, ServiceClientsTable } from '../store/database.js';
import { isForeignKeyViolation } from '../store/errors.js';
import type { ServiceClient } from './model.js';
import { toClient } from './rows.js';
import { randomAlphanumeric, randomToken, type SecretHasher } from './secrets.js';

/**
 * Service clients of the client-credentials grant: a public `clientId` and a secret shown once.
 *
 * @example
 * ```ts
 * const { clientSecret, client } = await clients.create('acme', { name: 'billing', scopes: ['orders.read'] }, 'admin');
 * await clients.authenticate(client.clientId, clientSecret); // the client, or undefined
 * ```
 */
export class ServiceClients {
  readonly #db: Kysely<Database>;
  readonly #hasher: SecretHasher;

  constructor(db: Kysely<Database>, hasher: SecretHasher) {
    this.#db = db;
    this.#hasher = hasher;
  }

  async create(
    tenant: string,
    input: { name: string; scopes: string[] },
    createdBy: string,
  ): Promise<{ clientSecret: string; client: ServiceClient }> {
    const clientSecret = randomToken(32);
    try {
      const row = await this.#db
        .insertInto('service_clients')
        .values({
          id: randomUUID(),
          tenant,
          client_id: `svc_${randomAlphanumeric(16)}`,
          name: input.name,
          secret_hash: this.#hasher.hash(clientSecret),
          scopes: JSON.stringify(input.scopes),
          active: true,
          last_used_at: null,
          created_by: createdBy,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { clientSecret, client: toClient(row) };
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new PorticoError('NOT_FOUND', `tenant ${tenant} does not exist`);
      throw error;
    }
  }

  async list(tenant: string): Promise<ServiceClient[]> {
    const rows = await this.#db
      .selectFrom('service_clients')
      .selectAll()
      .where('tenant', '=', tenant)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toClient);
  }

  /** Deactivates a client of `tenant`: its secret stops working at once. */
  async deactivate(tenant: string, id: string): Promise<ServiceClient> {
    const row = await this.#db
      .updateTable('service_clients')
      .set({ active: false })
      .where('tenant', '=', tenant)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new PorticoError('NOT_FOUND', `client ${id} does not exist in tenant ${tenant}`, { id });
    return toClient(row);
  }

  /** Replaces a client's secret; the old one stops working at once. */
  async rotateSecret(tenant: string, id: string): Promise<{ clientSecret: string; client: ServiceClient }> {
    const clientSecret = randomToken(32);
    const row = await this.#db
      .updateTable('service_clients')
      .set({ secret_hash: this.#hasher.hash(clientSecret) })
      .where('tenant', '=', tenant)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new PorticoError('NOT_FOUND', `client ${id} does not exist in tenant ${tenant}`, { id });
    return { clientSecret, client: toClient(row) };
  }

  /** The active client whose secret matches, compared in constant time; undefined otherwise. */
  async authenticate(clientId: string, secret: string): Promise<Selectable<ServiceClientsTable> | undefined> {
    const row = await this.#db
      .selectFrom('service_clients')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    // Hash even for an unknown client so the answer takes the same time either way.
    const matches = this.#hasher.matches(row?.secret_hash ?? '-', secret);
    if (!row || !matches || !row.active) return undefined;
    await this.#db.updateTable('service_clients').set({ last_used_at: new Date() }).where('id', '=', row.id).execute();
    return row;
  }
}
