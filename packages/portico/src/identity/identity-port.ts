import type { JSONWebKeySet } from 'jose';
import type { ApiKeyRecord, IdentityChange } from './identity-events.js';
import type { Tenant } from './model.js';
import type { Revocation } from './revocations.js';

/** Everything a gateway holds in memory to authenticate requests without asking identity. */
export interface IdentitySnapshot {
  /** Public keys that verify access tokens now. */
  jwks: JSONWebKeySet;
  /** End of grace (ms since the epoch) of each retired key in `jwks`. */
  keyExpiries: Record<string, number>;
  /** Usable API keys (prefix and secret HMAC, never the secret). */
  apiKeys: ApiKeyRecord[];
  /** Users and sessions whose tokens are refused before they expire. */
  revocations: Revocation[];
  tenants: Tenant[];
  /** Key of the API-key HMAC, base64; only ever sent to platform components. */
  secretHashKey: string;
  /** Issuer, audience and algorithm every access token is checked against. */
  issuer: string;
  audience: string;
  algorithm: 'EdDSA' | 'ES256';
}

/** What a watcher receives: a whole snapshot first (and after a reconnect), then changes. */
export type IdentityWatchEvent =
  | { kind: 'snapshot'; snapshot: IdentitySnapshot }
  | { kind: 'change'; change: IdentityChange };

/** A live watch; `close` stops delivery. */
export interface IdentityWatch {
  close(): void;
}

/**
 * Identity as the gateway sees it (DESIGN principle 1 and 3): a snapshot of verification
 * material followed by changes, so that every check on the hot path is a memory lookup.
 *
 * Adapters:
 * - `InProcessIdentityPort` (all-in-one): reads the identity core of the same process; changes
 *   arrive synchronously with the admin call that caused them.
 * - `HttpIdentityPort` (distributed): `GET /v1/identity/watch` on the identity process's admin
 *   port, a Server-Sent Events stream of the same events, authenticated with a service client's
 *   token that has the `identity.watch` scope; it reconnects and resyncs from a new snapshot, and
 *   keeps serving the last snapshot while disconnected (DESIGN principle 5).
 *
 * @example
 * ```ts
 * const view = new IdentityView();
 * const watch = port.watch((event) => view.apply(event));
 * ```
 */
export interface IdentityPort {
  watch(listener: (event: IdentityWatchEvent) => void): IdentityWatch;
  /** Hands over the ids of API keys used since the last report, for their "last used" time. */
  reportApiKeyUses(ids: readonly string[]): Promise<void>;
  /** Asks for a fresh snapshot; only a network adapter can have missed a change. */
  resync?(): void;
  /** Ends the adapter's connections (network adapters). */
  close?(): Promise<void>;
}
