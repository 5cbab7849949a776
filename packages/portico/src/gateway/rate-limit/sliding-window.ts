import type { RateLimitCell, RateLimitDecision, RateLimitRule } from './rate-limit-rule.js';

/*
 * Sliding window counter: the count of the current fixed window plus the previous window's,
 * weighted by the share of it the sliding window still covers. Two counters per key, whatever
 * the rate. The comparison is multiplied through by the window length, so it is done in whole
 * numbers and a boundary request is decided exactly (and the same way by the Redis script).
 *
 * Cell: `a` = start of the current window (ms, a multiple of the window), `b` = its count,
 * `c` = the previous window's count. Refused requests are not counted.
 */

/**
 * Counts one request at `now` against `cell`; writes the answer into `out` and returns whether
 * it is allowed.
 *
 * @example
 * ```ts
 * const cell = { a: 0, b: 0, c: 0 };
 * const out = { allowed: false, remaining: 0, resetMs: 0, retryAfterMs: 0 };
 * slidingWindowHit(cell, { algorithm: 'sliding-window', limit: 10, windowMs: 1000, burst: 10 }, 5_250, out);
 * ```
 */
export function slidingWindowHit(
  cell: RateLimitCell,
  rule: RateLimitRule,
  now: number,
  out: RateLimitDecision,
): boolean {
  const window = rule.windowMs;
  const limit = rule.limit;
  const start = now - (now % window);
  if (start !== cell.a) {
    // The window moved on: the current count becomes the previous one if it is the window just before.
    cell.c = start - cell.a === window ? cell.b : 0;
    cell.b = 0;
    cell.a = start;
  }
  const elapsed = now - start;
  const previous = cell.c;
  const current = cell.b;
  // The sliding count, times the window length.
  const counted = previous * (window - elapsed) + current * window;
  if (counted + window <= limit * window) {
    cell.b = current + 1;
    out.allowed = true;
    out.remaining = Math.floor((limit * window - counted - window) / window);
    // The request just counted fades out by the end of the next window.
    out.resetMs = 2 * window - elapsed;
    out.retryAfterMs = 0;
    return true;
  }
  out.allowed = false;
  out.remaining = 0;
  out.resetMs = current > 0 ? 2 * window - elapsed : window - elapsed;
  out.retryAfterMs =
    current < limit
      ? // Later in this window, once enough of the previous one has slid out (previous > 0 here).
        window - Math.floor(((limit - current - 1) * window) / previous) - elapsed
      : // In the next window, where this window's count is the previous one.
        2 * window - elapsed - Math.floor(((limit - 1) * window) / current);
  return false;
}

/** From this time on the cell counts nothing (both of its windows are over), so it may be forgotten. */
export function slidingWindowIdleAt(cell: RateLimitCell, rule: RateLimitRule): number {
  return cell.a + 2 * rule.windowMs;
}
