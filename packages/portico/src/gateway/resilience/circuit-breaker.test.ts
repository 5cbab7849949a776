import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  const settings = { enabled: true, failureThreshold: 3, openMs: 1_000 };

  it('opens after the threshold of consecutive failures; a success in between resets the count', () => {
    const breaker = new CircuitBreaker(settings);
    breaker.onFailure(0);
    breaker.onFailure(0);
    breaker.onSuccess();
    breaker.onFailure(0);
    breaker.onFailure(0);
    expect(breaker.state).toBe('closed');
    breaker.onFailure(0);
    expect(breaker.state).toBe('open');
    expect(breaker.allow(999)).toBe(false);
  });

  it('lets exactly one probe through after openMs; its success closes, its failure reopens', () => {
    const breaker = new CircuitBreaker(settings);
    for (let i = 0; i < 3; i++) breaker.onFailure(0);
    expect(breaker.allow(1_000)).toBe(true);
    expect(breaker.state).toBe('half-open');
    expect(breaker.allow(1_001)).toBe(false);
    breaker.onFailure(1_002);
    expect(breaker.state).toBe('open');
    expect(breaker.allow(1_500)).toBe(false);
    expect(breaker.allow(2_002)).toBe(true);
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.allow(2_003)).toBe(true);
  });

  it('never opens when disabled', () => {
    const breaker = new CircuitBreaker({ ...settings, enabled: false });
    for (let i = 0; i < 10; i++) breaker.onFailure(0);
    expect(breaker.allow(1)).toBe(true);
    expect(breaker.state).toBe('closed');
  });
});
