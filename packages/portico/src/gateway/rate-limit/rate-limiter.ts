import type { HealthStatus } from '@portico/sdk';
import type { RateLimitDecision, RateLimitRule } from './rate-limit-rule.js';

/**
 * The counters of one rate limit (one service's rule), by key (a consumer, a tenant, an address).
 * A memory bucket answers at once; a shared store answers with a promise, or at once from its
 * local fallback while the shared store is out of reach.
 *
 * @example
 * ```ts
 * const verdict = bucket.hit('203.0.113.9');
 * const decision = verdict instanceof Promise ? await verdict : verdict;
 * if (!decision.allowed) refuse(decision.retryAfterMs);
 * ```
 */
export interface RateLimitBucket {
  readonly rule: RateLimitRule;
  /** Counts one request for `key`; a refused request is not counted. */
  hit(key: string): RateLimitDecision | Promise<RateLimitDecision>;
}

/**
 * Where rate-limit counters live (STYLE habit 4): `memory` (this process, exact) or `redis`
 * (shared by every gateway, one atomic script per request, with a local fallback during an
 * outage). `gateway/rate-limit/index.ts` resolves the configured one.
 *
 * @example
 * ```ts
 * const limiter = new MemoryRateLimiter();
 * const bucket = limiter.bucket('orders:ip:gcra', { algorithm: 'gcra', limit: 100, windowMs: 60_000, burst: 100 });
 * ```
 */
export interface RateLimiter {
  /** The adapter's name, as configured. */
  readonly store: 'memory' | 'redis';
  /**
   * The bucket named `name`, created on first use. The same name gives the same counters, so a
   * service whose route is recompiled (an instance joined) keeps its counts; `rule` replaces
   * the bucket's rule.
   */
  bucket(name: string, rule: RateLimitRule): RateLimitBucket;
  /** `healthy` while limits are enforced as configured; `degraded` while a shared store is out of reach. */
  health(): HealthStatus;
  close(): Promise<void>;
}
