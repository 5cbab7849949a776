import { describe, expect, it } from 'vitest';
import { RetryBudget } from './retry-budget.js';

describe('RetryBudget', () => {
  it('always allows the minimum concurrency, even with no active request', () => {
    const budget = new RetryBudget({ ratio: 0.2, minConcurrency: 3 });
    expect([budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(budget.retriesInFlight).toBe(3);
    budget.release();
    expect(budget.tryAcquire()).toBe(true);
  });

  it('grows with the active requests: 20% of them once that is above the minimum', () => {
    const budget = new RetryBudget({ ratio: 0.2, minConcurrency: 3 });
    const ends = Array.from({ length: 50 }, () => budget.begin());
    expect(budget.limit).toBe(10);
    let granted = 0;
    for (let i = 0; i < 50; i++) if (budget.tryAcquire()) granted++;
    expect(granted).toBe(10);
    // As requests finish the limit falls back, and no new retry is granted above it.
    for (const end of ends.slice(0, 40)) end();
    expect(budget.limit).toBe(3);
    for (let i = 0; i < 10; i++) budget.release();
    expect(budget.retriesInFlight).toBe(0);
    expect([budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('counts a request once however often its end is called, and never goes below zero', () => {
    const budget = new RetryBudget();
    const end = budget.begin();
    end();
    end();
    expect(budget.activeRequests).toBe(0);
    budget.release();
    expect(budget.retriesInFlight).toBe(0);
  });

  it('can forbid retries altogether', () => {
    const budget = new RetryBudget({ ratio: 0, minConcurrency: 0 });
    budget.begin();
    expect(budget.tryAcquire()).toBe(false);
  });
});
