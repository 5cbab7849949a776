import type { JSONWebKeySet } from 'jose';
import type { Tenant } from './model.js';
import type { Revocation } from './revocations.js';

/** What a gateway needs to check an API key without the store: never the secret itself. */
export interface ApiKeyRecord {
  id: string;
  tenant: string;
  name: string;
  prefix: string;
  /** HMAC of the secret part. */
  secretHash: string;
  scopes: string[];
  /** Milliseconds since the epoch, or null for no expiry. */
  expiresAt: number | null;
}

/** A change a gateway applies to its in-memory copy. */
export type IdentityChange =
  | { type: 'keys'; jwks: JSONWebKeySet; expiries: Record<string, number> }
  | { type: 'api-key.added'; key: ApiKeyRecord }
  | { type: 'api-key.removed'; id: string; prefix: string }
  | { type: 'tenant'; tenant: Tenant }
  | { type: 'revocation'; revocation: Revocation };

/**
 * The identity core's change feed inside one process. Listeners run synchronously, so by the
 * time an admin call answers, every in-process gateway copy already has its change.
 *
 * @example
 * ```ts
 * const stop = events.subscribe((change) => cache.apply(change));
 * events.emit({ type: 'api-key.removed', id, prefix });
 * stop();
 * ```
 */
export class IdentityEvents {
  readonly #listeners = new Set<(change: IdentityChange) => void>();

  subscribe(listener: (change: IdentityChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(change: IdentityChange): void {
    for (const listener of this.#listeners) listener(change);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
