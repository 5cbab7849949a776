import { describe, expect, it } from 'vitest';
import { gcraHit, gcraIdleAt } from './gcra.js';
import type { RateLimitCell, RateLimitDecision, RateLimitRule } from './rate-limit-rule.js';

const fresh = (): RateLimitCell => ({ a: 0, b: 0, c: 0 });
const out = (): RateLimitDecision => ({ allowed: false, remaining: 0, resetMs: 0, retryAfterMs: 0 });
const gcra = (limit: number, windowMs: number, burst = limit): RateLimitRule => ({
  algorithm: 'gcra',
  limit,
  windowMs,
  burst,
});

/** Requests at the given times; how many were allowed. */
function allowedAt(rule: RateLimitRule, times: Iterable<number>, cell = fresh()): number {
  const answer = out();
  let allowed = 0;
  for (const now of times) if (gcraHit(cell, rule, now, answer)) allowed++;
  return allowed;
}

function* every(stepMs: number, fromMs: number, untilMs: number) {
  for (let t = fromMs; t < untilMs; t += stepMs) yield t;
}

describe('GCRA', () => {
  it('lets a full burst through at once, counts down Remaining, then refuses with the exact wait', () => {
    const rule = gcra(10, 1000);
    const cell = fresh();
    const answer = out();
    const remaining: number[] = [];
    for (let i = 0; i < 10; i++) {
      expect(gcraHit(cell, rule, 5_000, answer)).toBe(true);
      remaining.push(answer.remaining);
    }
    expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(answer.resetMs).toBe(1000);
    expect(gcraHit(cell, rule, 5_000, answer)).toBe(false);
    expect(answer).toEqual({ allowed: false, remaining: 0, resetMs: 1000, retryAfterMs: 100 });
    // A refused request changes nothing: 99 ms later still refused, at 100 ms one more goes.
    expect(gcraHit(cell, rule, 5_099, answer)).toBe(false);
    expect(answer.retryAfterMs).toBe(1);
    expect(gcraHit(cell, rule, 5_100, answer)).toBe(true);
    expect(answer.remaining).toBe(0);
    expect(gcraHit(cell, rule, 5_100, answer)).toBe(false);
  });

  it('is exact when the interval is not a whole number of ms (3 per second = 333⅓ ms)', () => {
    const rule = gcra(3, 1000);
    const cell = fresh();
    const answer = out();
    expect(allowedAt(rule, [0, 0, 0], cell)).toBe(3);
    expect(gcraHit(cell, rule, 0, answer)).toBe(false);
    expect(answer.retryAfterMs).toBe(334);
    expect(gcraHit(cell, rule, 333, answer)).toBe(false);
    expect(gcraHit(cell, rule, 334, answer)).toBe(true);
    // The third interval ends at exactly 1000 ms: no drift from rounding.
    expect(gcraHit(cell, rule, 666, answer)).toBe(false);
    expect(gcraHit(cell, rule, 667, answer)).toBe(true);
    expect(gcraHit(cell, rule, 999, answer)).toBe(false);
    expect(gcraHit(cell, rule, 1000, answer)).toBe(true);
  });

  it('admits exactly burst + elapsed × rate under constant pressure', () => {
    // One request every ms for 10 s at 3 per second: the burst of 3, then the n-th at ⌈n × 1000/3⌉.
    const expected = 3 + [...Array(40).keys()].filter((n) => n >= 1 && Math.ceil((n * 1000) / 3) <= 9_999).length;
    expect(expected).toBe(32);
    expect(allowedAt(gcra(3, 1000), every(1, 0, 10_000))).toBe(expected);
    // 100 per minute over an hour, from a wall-clock-sized start: 100 + 59 × 100 + the ones of the last minute.
    const start = 1_700_000_000_000;
    expect(allowedAt(gcra(100, 60_000), every(7, start, start + 3_600_000))).toBe(100 + 5_999);
  });

  it('takes a burst smaller or larger than the limit', () => {
    expect(allowedAt(gcra(10, 1000, 1), [0, 0, 0])).toBe(1);
    expect(allowedAt(gcra(10, 1000, 25), Array(40).fill(0))).toBe(25);
    // A burst of 1 spaces requests evenly: one every 100 ms.
    expect(allowedAt(gcra(10, 1000, 1), every(10, 0, 1000))).toBe(10);
  });

  it('stays exact at the largest settings (a million a day) with wall-clock times', () => {
    const rule = gcra(1_000_000, 86_400_000);
    const cell = fresh();
    const answer = out();
    const now = 1_750_000_000_123;
    let allowed = 0;
    for (let i = 0; i < 1_000_001; i++) if (gcraHit(cell, rule, now, answer)) allowed++;
    expect(allowed).toBe(1_000_000);
    expect(answer.retryAfterMs).toBe(87); // 86.4 ms, rounded up
    expect(gcraHit(cell, rule, now + 86, answer)).toBe(false);
    expect(gcraHit(cell, rule, now + 87, answer)).toBe(true);
  });

  it('says when the cell counts nothing any more', () => {
    const cell = fresh();
    gcraHit(cell, gcra(2, 1000), 10_000, out());
    expect(gcraIdleAt(cell)).toBe(10_500);
    gcraHit(cell, gcra(3, 1000), 10_000, out());
    expect(gcraIdleAt(cell)).toBe(10_834); // 10 500 + 333⅓
  });
});
