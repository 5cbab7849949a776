import { describe, expect, it } from 'vitest';
import { FallbackCache } from './fallback-cache.js';

const answer = (data: unknown) => ({ data, status: 200, headers: new Headers() });

describe('FallbackCache', () => {
  it('keys on path, query and the caller headers, ignoring tracing headers and header case', () => {
    const base = FallbackCache.key('/a?x=1', { 'x-tenant-id': 't1' });
    expect(FallbackCache.key('/a?x=1', { 'X-Tenant-Id': 't1', 'x-request-id': 'r', traceparent: 'p' })).toBe(base);
    expect(FallbackCache.key('/a?x=1', { 'x-tenant-id': 't2' })).not.toBe(base);
    expect(FallbackCache.key('/a?x=1', { 'x-tenant-id': 't1', authorization: 'Bearer b' })).not.toBe(base);
    expect(FallbackCache.key('/a?x=2', { 'x-tenant-id': 't1' })).not.toBe(base);
  });

  it('serves an answer until it is older than maxAge', () => {
    const cache = new FallbackCache({ maxAgeMs: 1_000 });
    cache.store('k', answer(1), 10_000);
    expect(cache.lookup('k', 10_500)?.data).toBe(1);
    expect(cache.lookup('k', 11_000)?.storedAt).toBe(10_000);
    expect(cache.lookup('k', 11_001)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the least recently stored answer past maxEntries', () => {
    const cache = new FallbackCache({ maxEntries: 2 });
    cache.store('a', answer('a'));
    cache.store('b', answer('b'));
    cache.store('a', answer('a2'));
    cache.store('c', answer('c'));
    expect(cache.lookup('b')).toBeUndefined();
    expect(cache.lookup('a')?.data).toBe('a2');
    expect(cache.lookup('c')?.data).toBe('c');
  });
});
