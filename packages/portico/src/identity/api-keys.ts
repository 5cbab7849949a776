import { randomUUID } from 'node:crypto';
import { PorticoError } from '@portico/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { isForeignKeyViolation } from '../store/errors.js';
import type { ApiKeyRecord } from './identity-events.js';
import type { ApiKey } from './model.js';
import { toApiKey, toApiKeyRecord } from './rows.js';
import { randomAlphanumeric, randomToken, type SecretHasher } from './secrets.js';

/** API keys read `pk_<12 characters>.<secret>`: the part before the dot is the prefix shown in lists. */
export const API_KEY_PATTERN = /^(pk_[a-z0-9]{12})\.([A-Za-z0-9_-]{43})$/;

/**
 * Splits a presented key into prefix and secret; undefined when it cannot be a Portico key.
 *
 * @example
 * ```ts
 * parseApiKey('pk_0123456789ab.' + 'x'.repeat(43)); // { prefix: 'pk_0123456789ab', secret: 'xxx…' }
 * ```
 */
export function parseApiKey(presented: string): { prefix: string; secret: string } | undefined {
  const match = API_KEY_PATTERN.exec(presented);
  return match ? { prefix: match[1] as string, secret: match[2] as string } : undefined;
}

/**
 * API keys in the store. The whole key is returned once, by `create`; the store keeps the prefix
 * and an HMAC of the secret.
 *
 * @example
 * ```ts
 * const { key, apiKey } = await apiKeys.create('acme', { name: 'ci', scopes: ['orders.read'], expiresAt: null }, 'admin');
 * ```
 */
export class ApiKeys {
  readonly #db: Kysely<Database>;
  readonly #hasher: SecretHasher;

  constructor(db: Kysely<Database>, hasher: SecretHasher) {
    this.#db = db;
    this.#hasher = hasher;
  }

  async create(
    tenant: string,
    input: { name: string; scopes: string[]; expiresAt: Date | null },
    createdBy: string,
  ): Promise<{ key: string; apiKey: ApiKey; record: ApiKeyRecord }> {
    const prefix = `pk_${randomAlphanumeric(12)}`;
    const secret = randomToken(32);
    try {
      const row = await this.#db
        .insertInto('api_keys')
        .values({
          id: randomUUID(),
          tenant,
          name: input.name,
          prefix,
          secret_hash: this.#hasher.hash(secret),
          scopes: JSON.stringify(input.scopes),
          expires_at: input.expiresAt,
          last_used_at: null,
          revoked_at: null,
          created_by: createdBy,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { key: `${prefix}.${secret}`, apiKey: toApiKey(row), record: toApiKeyRecord(row) };
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new PorticoError('NOT_FOUND', `tenant ${tenant} does not exist`);
      throw error;
    }
  }

  async list(tenant: string): Promise<ApiKey[]> {
    const rows = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('tenant', '=', tenant)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toApiKey);
  }

  /** Revokes a key of `tenant`; `NOT_FOUND` for an id of another tenant. Revoking twice is a no-op. */
  async revoke(tenant: string, id: string): Promise<ApiKey> {
    const existing = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!existing) throw new PorticoError('NOT_FOUND', `API key ${id} does not exist in tenant ${tenant}`, { id });
    if (existing.revoked_at) return toApiKey(existing);
    const row = await this.#db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toApiKey(row);
  }

  /** Keys that may still be used, for the in-memory copy. */
  async usable(): Promise<ApiKeyRecord[]> {
    const rows = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', new Date())]))
      .execute();
    return rows.map(toApiKeyRecord);
  }

  /** Records when keys were last used, written behind in batches so the hot path stays free of I/O. */
  async touch(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.#db
      .updateTable('api_keys')
      .set({ last_used_at: at })
      .where('id', 'in', [...ids])
      .execute();
  }
}
