import type { RateLimitCell, RateLimitDecision, RateLimitRule } from './rate-limit-rule.js';

/*
 * GCRA (the generic cell rate algorithm): a key has a theoretical arrival time (TAT), the moment
 * its bucket would be empty. Each request pushes it `windowMs / limit` further; a request that
 * would push it more than `burst × windowMs / limit` past now is refused and changes nothing.
 *
 * The emission interval `windowMs / limit` is rarely a whole number of ms, and floating point
 * would let a boundary request in or out by rounding. So time is counted in units of
 * 1/limit ms: the interval is exactly `windowMs` units and the bucket `burst × windowMs` units,
 * and the TAT is kept as whole ms (`cell.a`) plus a remainder in units (`cell.b`, < limit). Every
 * quantity stays an integer below 2^53 (limit ≤ 10^6, window ≤ 1 day), so the answer is exact,
 * and the Redis script (Lua numbers are doubles too) computes the same one.
 */

/**
 * Counts one request at `now` against `cell`; writes the answer into `out` and returns whether
 * it is allowed. A refused request leaves the cell as it was.
 *
 * @example
 * ```ts
 * const cell = { a: 0, b: 0, c: 0 };
 * const out = { allowed: false, remaining: 0, resetMs: 0, retryAfterMs: 0 };
 * gcraHit(cell, { algorithm: 'gcra', limit: 2, windowMs: 1000, burst: 2 }, 5_000, out); // true, remaining 1
 * ```
 */
export function gcraHit(cell: RateLimitCell, rule: RateLimitRule, now: number, out: RateLimitDecision): boolean {
  const units = rule.limit;
  const interval = rule.windowMs;
  const capacity = rule.burst * interval;
  // How far the TAT is ahead of now, in units; a TAT in the past is an empty bucket.
  const ahead = cell.a < now ? 0 : (cell.a - now) * units + cell.b;
  const next = ahead + interval;
  if (next > capacity) {
    out.allowed = false;
    out.remaining = 0;
    out.resetMs = Math.ceil(ahead / units);
    out.retryAfterMs = Math.ceil((next - capacity) / units);
    return false;
  }
  const fraction = next % units;
  cell.a = now + (next - fraction) / units;
  cell.b = fraction;
  out.allowed = true;
  out.remaining = Math.floor((capacity - next) / interval);
  out.resetMs = Math.ceil(next / units);
  out.retryAfterMs = 0;
  return true;
}

/** From this time on the cell counts nothing (its TAT has passed), so it may be forgotten. */
export function gcraIdleAt(cell: RateLimitCell): number {
  return cell.b > 0 ? cell.a + 1 : cell.a;
}
