import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import type { RateLimitRule } from './rate-limit-rule.js';

const GCRA: RateLimitRule = { algorithm: 'gcra', limit: 5, windowMs: 1000, burst: 5 };
const SLIDING: RateLimitRule = { algorithm: 'sliding-window', limit: 5, windowMs: 1000, burst: 5 };

describe('memory rate limiter', () => {
  let now = 1_000_000;
  const limiters: MemoryRateLimiter[] = [];
  const make = (maxKeys = 100_000) => {
    const limiter = new MemoryRateLimiter({ clock: () => now, maxKeys, sweepIntervalMs: 0 });
    limiters.push(limiter);
    return limiter;
  };
  afterEach(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    limiters.length = 0;
  });

  it('answers synchronously, with one reused answer object, and counts each key apart', () => {
    const bucket = make().bucket('s:ip:gcra', GCRA);
    const first = bucket.hit('a');
    expect(first).not.toBeInstanceOf(Promise);
    expect(bucket.hit('a')).toBe(first);
    let allowedA = 2;
    while (bucket.hit('a').allowed) allowedA++;
    expect(allowedA).toBe(5);
    expect(bucket.hit('b').allowed).toBe(true);
  });

  it('is exact for concurrent callers of one process: a limit of N lets exactly N through', () => {
    const bucket = make().bucket('s:ip:gcra', { algorithm: 'gcra', limit: 250, windowMs: 3_600_000, burst: 250 });
    let allowed = 0;
    for (let i = 0; i < 1000; i++) if (bucket.hit('203.0.113.9').allowed) allowed++;
    expect(allowed).toBe(250);
  });

  it('keeps counters across a recompile with the same name, and starts afresh for another algorithm', () => {
    const limiter = make();
    for (let i = 0; i < 5; i++) limiter.bucket('s:ip:gcra', GCRA).hit('a');
    expect(limiter.bucket('s:ip:gcra', GCRA).hit('a').allowed).toBe(false);
    expect(limiter.bucket('s:ip:gcra', SLIDING).hit('a').allowed).toBe(true);
    expect(limiter.size).toBe(1);
  });

  it('sweeps keys that count nothing any more', () => {
    const limiter = make();
    const gcra = limiter.bucket('s:ip:gcra', GCRA);
    const sliding = limiter.bucket('s:ip:sliding-window', SLIDING);
    for (let i = 0; i < 100; i++) {
      gcra.hit(`g${i}`);
      sliding.hit(`s${i}`);
    }
    expect(limiter.size).toBe(200);
    now += 200; // GCRA: one request of 5/s is 200 ms of the bucket
    expect(limiter.sweep()).toBe(100);
    now += 2_000; // both windows of the sliding counters are over
    expect(limiter.sweep()).toBe(100);
    expect(limiter.size).toBe(0);
  });

  it('never keeps more than maxKeys, forgetting the oldest live keys when it must', () => {
    const limiter = make(1_000);
    const bucket = limiter.bucket('s:ip:gcra', { algorithm: 'gcra', limit: 1, windowMs: 3_600_000, burst: 1 });
    for (let i = 0; i < 5_000; i++) bucket.hit(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBeLessThanOrEqual(1_000);
    // The newest are still counted; the first ones were forgotten and start afresh.
    expect(bucket.hit('10.0.19.135').allowed).toBe(false);
    expect(bucket.hit('10.0.0.0').allowed).toBe(true);
  });
});
