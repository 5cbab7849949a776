import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('grows by factor from initialMs and stops at maxMs', () => {
    const o = { initialMs: 100, factor: 3, maxMs: 1000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, o))).toEqual([100, 300, 900, 1000, 1000]);
  });
  it('uses the contract defaults (1 s, x2, 60 s)', () => {
    expect([1, 2, 7, 8].map((a) => backoffDelay(a))).toEqual([1000, 2000, 60000, 60000]);
  });
});
