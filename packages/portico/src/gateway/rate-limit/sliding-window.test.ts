import { describe, expect, it } from 'vitest';
import type { RateLimitCell, RateLimitDecision, RateLimitRule } from './rate-limit-rule.js';
import { slidingWindowHit, slidingWindowIdleAt } from './sliding-window.js';

const fresh = (): RateLimitCell => ({ a: 0, b: 0, c: 0 });
const out = (): RateLimitDecision => ({ allowed: false, remaining: 0, resetMs: 0, retryAfterMs: 0 });
const sliding = (limit: number, windowMs: number): RateLimitRule => ({
  algorithm: 'sliding-window',
  limit,
  windowMs,
  burst: limit,
});

describe('sliding window', () => {
  it('allows the limit within a window, then refuses with the exact wait', () => {
    const rule = sliding(10, 1000);
    const cell = fresh();
    const answer = out();
    const remaining: number[] = [];
    for (let i = 0; i < 10; i++) {
      expect(slidingWindowHit(cell, rule, 10_500, answer)).toBe(true);
      remaining.push(answer.remaining);
    }
    expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(answer.resetMs).toBe(1500);
    expect(slidingWindowHit(cell, rule, 10_999, answer)).toBe(false);
    // Next window: the 10 of the previous one weigh (1000 - elapsed) / 1000; one fits once they weigh ≤ 9.
    expect(answer.retryAfterMs).toBe(101);
    expect(slidingWindowHit(cell, rule, 11_099, answer)).toBe(false);
    expect(answer.retryAfterMs).toBe(1);
    expect(slidingWindowHit(cell, rule, 11_100, answer)).toBe(true);
    expect(slidingWindowHit(cell, rule, 11_100, answer)).toBe(false);
    expect(slidingWindowHit(cell, rule, 11_200, answer)).toBe(true);
  });

  it('weighs the previous window by how much of it still overlaps', () => {
    const rule = sliding(100, 1000);
    const cell = fresh();
    const answer = out();
    for (let i = 0; i < 60; i++) slidingWindowHit(cell, rule, 1_000 + i, answer);
    // At 2 250 ms, 75 % of the previous window still counts: 45 of its 60, so 55 more fit.
    let allowed = 0;
    while (slidingWindowHit(cell, rule, 2_250, answer)) allowed++;
    expect(allowed).toBe(55);
    // Still in this window, 40 % left of the previous: 24 + 55 = 79, so 21 more.
    allowed = 0;
    while (slidingWindowHit(cell, rule, 2_600, answer)) allowed++;
    expect(allowed).toBe(21);
    // Refused within this window is not counted: the previous window fading frees room later in it.
    expect(answer.retryAfterMs).toBe(17);
    // A window with nothing before it starts from zero.
    allowed = 0;
    while (slidingWindowHit(cell, rule, 5_000, answer)) allowed++;
    expect(allowed).toBe(100);
  });

  it('with a limit of 1, a request must fade out completely', () => {
    const rule = sliding(1, 1000);
    const cell = fresh();
    const answer = out();
    expect(slidingWindowHit(cell, rule, 3_200, answer)).toBe(true);
    expect(slidingWindowHit(cell, rule, 3_200, answer)).toBe(false);
    expect(answer.retryAfterMs).toBe(1_800);
    expect(slidingWindowHit(cell, rule, 4_999, answer)).toBe(false);
    expect(slidingWindowHit(cell, rule, 5_000, answer)).toBe(true);
  });

  it('never lets more than the limit through in any window-long span at a steady rate', () => {
    const rule = sliding(50, 1000);
    const cell = fresh();
    const answer = out();
    const times: number[] = [];
    for (let t = 0; t < 20_000; t += 3) if (slidingWindowHit(cell, rule, t, answer)) times.push(t);
    // The weighted count is an estimate: it can let a little more than the limit into a span
    // that straddles two windows, but never more than twice the limit, and exactly the rate overall.
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while ((times[i] as number) - (times[j] as number) >= 1000) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(100);
    expect(times.length).toBeGreaterThanOrEqual(50 * 20 - 50);
    expect(times.length).toBeLessThanOrEqual(50 * 20 + 50);
  });

  it('says when the cell counts nothing any more', () => {
    const cell = fresh();
    slidingWindowHit(cell, sliding(2, 1000), 10_250, out());
    expect(slidingWindowIdleAt(cell, sliding(2, 1000))).toBe(12_000);
  });
});
