import type { HealthStatus } from '@portico/sdk';
import type { CachedResponse, FallbackSettings } from './fallback-cache.js';

/**
 * One service's fallback answers (stale-if-error). `store` runs on the success path and never
 * waits or does I/O; `lookup` runs only when every try failed or the breaker is open, and may
 * answer with a promise when the answer is to be found in a shared store.
 *
 * @example
 * ```ts
 * const cache = fallbacks.forService('orders', policy.fallback);
 * cache.store('/api/orders/1', { status: 200, headers, body, storedAt: Date.now() });
 * const found = await cache.lookup('/api/orders/1', Date.now());
 * ```
 */
export interface ServiceFallback {
  readonly settings: FallbackSettings;
  /** Answers kept in this gateway's memory (the console's `cachedResponses`). */
  readonly size: number;
  store(key: string, response: CachedResponse): void;
  /** The entry for `key` if it is not older than `maxStaleSeconds`. */
  lookup(key: string, now: number): CachedResponse | undefined | Promise<CachedResponse | undefined>;
}

/**
 * Where fallback answers live (STYLE habit 4): `memory` (this gateway) or `redis` (every gateway
 * sharing the Redis can serve what another one kept). `fallback-stores.ts` resolves the configured one.
 *
 * @example
 * ```ts
 * const fallbacks = await createFallbackStore(config.gateway, logger);
 * const table = new RoutingTable(balancers, policyFor, compile, metricsFor, fallbacks);
 * ```
 */
export interface FallbackStore {
  /** The adapter's name, as configured. */
  readonly store: 'memory' | 'redis';
  /** The fallback answers of `service`, bounded by `settings`. */
  forService(service: string, settings: FallbackSettings): ServiceFallback;
  /** `healthy` while answers are shared as configured; `degraded` while a shared store is out of reach. */
  health(): HealthStatus;
  close(): Promise<void>;
}
