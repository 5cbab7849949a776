/** The algorithms a rate limit can count with. */
export const RATE_LIMIT_ALGORITHMS = ['gcra', 'sliding-window'] as const;
export type RateLimitAlgorithm = (typeof RATE_LIMIT_ALGORITHMS)[number];

/**
 * One limit: `limit` requests per `windowMs`. GCRA spreads them evenly (one every
 * `windowMs / limit`) and lets up to `burst` go at once; the sliding window counts the requests of
 * the last `windowMs`, the previous fixed window weighted by how much of it still overlaps.
 *
 * @example
 * ```ts
 * const rule: RateLimitRule = { algorithm: 'gcra', limit: 100, windowMs: 60_000, burst: 100 };
 * ```
 */
export interface RateLimitRule {
  readonly algorithm: RateLimitAlgorithm;
  readonly limit: number;
  readonly windowMs: number;
  /** GCRA only: how many requests may arrive at once (the bucket's size); the sliding window ignores it. */
  readonly burst: number;
}

/**
 * The answer to one request. A memory bucket hands back the same object on every call (no
 * per-request allocation): read it before the next call.
 */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests still allowed right now, after this one. */
  remaining: number;
  /** Milliseconds until the quota is whole again (nothing counted any more). */
  resetMs: number;
  /** When refused: milliseconds until a request would be allowed; 0 when allowed. */
  retryAfterMs: number;
}

/** Milliseconds as whole numbers; injected in tests so the arithmetic can be checked exactly. */
export type Clock = () => number;

/** A fresh decision record, for the adapters that must allocate one per request anyway. */
export function decision(
  allowed: boolean,
  remaining: number,
  resetMs: number,
  retryAfterMs: number,
): RateLimitDecision {
  return { allowed, remaining, resetMs, retryAfterMs };
}

/**
 * The state of one key, three numbers whose meaning is the algorithm's (GCRA: the theoretical
 * arrival time in whole ms and the fraction of a ms in 1/limit units; sliding window: the current
 * window's start, its count and the previous window's count). One shape for both keeps the
 * memory store's map monomorphic.
 */
export interface RateLimitCell {
  a: number;
  b: number;
  c: number;
}
