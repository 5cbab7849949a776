import { parseApiKey } from './api-keys.js';
import type { ApiKeyRecord, IdentityChange } from './identity-events.js';
import type { Principal } from './model.js';
import type { SecretHasher } from './secrets.js';

/**
 * The in-memory copy of usable API keys that the gateway checks keys against: no I/O per request.
 * It starts from a snapshot and follows change events, so a revoked key stops working as soon as
 * the event arrives. Uses are collected and handed to `flushUses` for a batched "last used" write.
 *
 * @example
 * ```ts
 * const cache = new ApiKeyCache(hasher);
 * cache.load(await apiKeys.usable());
 * events.subscribe((change) => cache.apply(change));
 * cache.verify(request.headers['x-api-key']); // Principal | undefined
 * ```
 */
export class ApiKeyCache {
  readonly #hasher: SecretHasher;
  readonly #byPrefix = new Map<string, ApiKeyRecord>();
  #used = new Set<string>();

  constructor(hasher: SecretHasher) {
    this.#hasher = hasher;
  }

  load(records: readonly ApiKeyRecord[]): void {
    this.#byPrefix.clear();
    for (const record of records) this.#byPrefix.set(record.prefix, record);
  }

  apply(change: IdentityChange): void {
    if (change.type === 'api-key.added') this.#byPrefix.set(change.key.prefix, change.key);
    else if (change.type === 'api-key.removed') this.#byPrefix.delete(change.prefix);
  }

  /** Every record held, for a snapshot. */
  records(): ApiKeyRecord[] {
    return [...this.#byPrefix.values()];
  }

  get size(): number {
    return this.#byPrefix.size;
  }

  /** The key's principal when `presented` is a usable key; undefined otherwise, whatever the reason. */
  verify(presented: string | undefined, now = Date.now()): Principal | undefined {
    if (presented === undefined) return undefined;
    const parsed = parseApiKey(presented);
    if (!parsed) return undefined;
    const record = this.#byPrefix.get(parsed.prefix);
    if (!record) return undefined;
    if (!this.#hasher.matches(record.secretHash, parsed.secret)) return undefined;
    if (record.expiresAt !== null && record.expiresAt <= now) return undefined;
    this.#used.add(record.id);
    return {
      kind: 'api-key',
      subject: record.id,
      tenant: record.tenant,
      roles: [],
      permissions: record.scopes,
      scopes: record.scopes,
    };
  }

  /** The ids used since the last call. */
  takeUses(): string[] {
    const used = [...this.#used];
    this.#used = new Set();
    return used;
  }
}
