import { describe, expect, it } from 'vitest';
import { RetryBudget } from './retry-budget.js';

/** A second boundary, so each test knows which slot a time falls in. */
const T0 = 1_700_000_000_000;

/** How many of `wanted` retries the budget grants at `now`. */
function grant(budget: RetryBudget, wanted: number, now: number): number {
  let granted = 0;
  for (let i = 0; i < wanted; i++) if (budget.tryRetry(now)) granted++;
  return granted;
}

describe('RetryBudget', () => {
  it('absorbs a burst the traffic of the seconds before paid for', () => {
    // 50 requests in flight, a steady 1,000 a second for 5 s; then a third of the 50 fail at once.
    const budget = new RetryBudget({ percent: 20, windowMs: 10_000, minRetriesPerSecond: 0 });
    for (let ms = 0; ms < 5_000; ms++) budget.request(T0 + ms);
    expect(grant(budget, 17, T0 + 5_000)).toBe(17);
    // The concurrency budget it replaces allowed max(3, 20% of 50 in flight) = 10 of them.
    expect(budget.counts(T0 + 5_000)).toEqual({ requests: 5_000, retries: 17 });
  });

  it('caps a sustained outage at the percent of the request rate, plus the floor', () => {
    // Every request fails and wants two retries (three tries), 100 requests a second for 60 s.
    const budget = new RetryBudget({ percent: 20, windowMs: 10_000, minRetriesPerSecond: 5 });
    const perSecond: number[] = [];
    for (let s = 0; s < 60; s++) {
      let retries = 0;
      for (let i = 0; i < 100; i++) {
        const now = T0 + s * 1_000 + i * 10;
        budget.request(now);
        retries += grant(budget, 2, now);
      }
      perSecond.push(retries);
    }
    const total = perSecond.reduce((sum, n) => sum + n, 0);
    // Without the budget: 12,000 retries, three times the load. With it, the documented bound:
    // percent × the requests of the stretch and of the window before it, plus the floor each second.
    expect(total).toBeLessThanOrEqual(0.2 * 6_000 + 5 * 60);
    // Past the first window the ratio alone governs: 20 retries a second for 100 requests.
    for (const n of perSecond.slice(10)) expect(n).toBeLessThanOrEqual(20 + 5);
    expect(perSecond.slice(10).reduce((sum, n) => sum + n, 0) / 50).toBeCloseTo(20, 0);
  });

  it('lets a quiet caller retry up to the floor in every second', () => {
    const budget = new RetryBudget({ percent: 20, windowMs: 10_000, minRetriesPerSecond: 3 });
    budget.request(T0);
    // One request pays for 0.2 of a retry: the floor alone grants, three in this second…
    expect(grant(budget, 5, T0 + 100)).toBe(3);
    expect(grant(budget, 1, T0 + 999)).toBe(0);
    // …and three again in the next one, though the window still holds the earlier three.
    expect(grant(budget, 5, T0 + 1_000)).toBe(3);
    expect(budget.counts(T0 + 1_000)).toEqual({ requests: 1, retries: 6 });
  });

  it('forgets requests and retries once the window slid past their second', () => {
    const budget = new RetryBudget({ percent: 20, windowMs: 10_000, minRetriesPerSecond: 0 });
    for (let i = 0; i < 100; i++) budget.request(T0 + 500);
    expect(grant(budget, 15, T0 + 9_999)).toBe(15);
    // The window is the second of `now` and the nine before: T0's second is still in it at T0 + 9.999 s.
    expect(budget.counts(T0 + 9_999)).toEqual({ requests: 100, retries: 15 });
    expect(grant(budget, 10, T0 + 9_999)).toBe(5);
    // At T0 + 10 s the requests are gone; the retries stay a window from their own second…
    expect(budget.counts(T0 + 10_000)).toEqual({ requests: 0, retries: 20 });
    expect(grant(budget, 1, T0 + 10_000)).toBe(0);
    // …and count against new requests: 10 pay for 2, not enough while those 20 are in the window.
    for (let i = 0; i < 10; i++) budget.request(T0 + 12_000);
    expect(grant(budget, 1, T0 + 12_000)).toBe(0);
    // Once they left, the 10 requests pay for 2 retries.
    expect(grant(budget, 5, T0 + 19_000)).toBe(2);
    // A jump past the whole window clears every slot.
    expect(budget.counts(T0 + 60_000)).toEqual({ requests: 0, retries: 0 });
  });

  it('rounds the window up to whole seconds', () => {
    const budget = new RetryBudget({ percent: 100, windowMs: 1_500, minRetriesPerSecond: 0 });
    budget.request(T0);
    expect(budget.counts(T0 + 1_999)).toEqual({ requests: 1, retries: 0 });
    expect(budget.counts(T0 + 2_000)).toEqual({ requests: 0, retries: 0 });
  });

  it('counts in the newest slot when the clock is set back', () => {
    const budget = new RetryBudget({ percent: 20, windowMs: 10_000, minRetriesPerSecond: 0 });
    for (let i = 0; i < 10; i++) budget.request(T0 + 5_000);
    budget.request(T0);
    expect(budget.counts(T0 + 5_000)).toEqual({ requests: 11, retries: 0 });
    expect(grant(budget, 5, T0)).toBe(2);
    // Nothing was counted in a slot the window had passed: all of it leaves together.
    expect(budget.counts(T0 + 15_000)).toEqual({ requests: 0, retries: 0 });
  });

  it('can forbid retries altogether', () => {
    const budget = new RetryBudget({ percent: 0, minRetriesPerSecond: 0 });
    for (let i = 0; i < 100; i++) budget.request(T0);
    expect(grant(budget, 1, T0)).toBe(0);
  });

  it('defaults to 20% over 10 s with a floor of 10 a second', () => {
    const budget = new RetryBudget();
    expect(grant(budget, 11, T0)).toBe(10);
    for (let i = 0; i < 100; i++) budget.request(T0 + 1_000);
    // 100 requests pay for 20 retries; the 10 of the second before count against them.
    expect(grant(budget, 20, T0 + 1_000)).toBe(10);
    expect(grant(budget, 1, T0 + 1_999)).toBe(0);
    // T0's second left the window: its 10 retries with it.
    expect(budget.counts(T0 + 10_000)).toEqual({ requests: 100, retries: 10 });
  });
});
