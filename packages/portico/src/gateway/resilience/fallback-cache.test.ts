import { describe, expect, it } from 'vitest';
import { FallbackCache, isCacheable } from './fallback-cache.js';

const entry = (bytes: number, storedAt = 0) => ({ status: 200, headers: {}, body: Buffer.alloc(bytes), storedAt });

describe('FallbackCache', () => {
  const settings = { enabled: true, maxEntryBytes: 100, maxTotalBytes: 250, maxStaleSeconds: 10 };

  it('keeps entries within the byte bounds, dropping the oldest first', () => {
    const cache = new FallbackCache(settings);
    cache.store('a', entry(100));
    cache.store('b', entry(100));
    cache.store('too-big', entry(101));
    expect(cache.size).toBe(2);
    cache.store('c', entry(100));
    expect(cache.lookup('a', 0)).toBeUndefined();
    expect(cache.lookup('b', 0)).toBeDefined();
    expect(cache.lookup('c', 0)).toBeDefined();
  });

  it('does not serve an entry older than maxStaleSeconds', () => {
    const cache = new FallbackCache(settings);
    cache.store('a', entry(10, 1_000));
    expect(cache.lookup('a', 11_000)).toBeDefined();
    expect(cache.lookup('a', 11_001)).toBeUndefined();
  });

  it('caches only credential-free GET 200s the service did not forbid', () => {
    expect(isCacheable('GET', {}, 200, {})).toBe(true);
    expect(isCacheable('POST', {}, 200, {})).toBe(false);
    expect(isCacheable('GET', {}, 404, {})).toBe(false);
    expect(isCacheable('GET', {}, 200, { 'cache-control': 'no-store' })).toBe(false);
    expect(isCacheable('GET', {}, 200, { 'cache-control': 'private, max-age=5' })).toBe(false);
    expect(isCacheable('GET', {}, 200, { 'set-cookie': ['a=1'] })).toBe(false);
    expect(isCacheable('GET', { authorization: 'Bearer x' }, 200, {})).toBe(false);
    expect(isCacheable('GET', { 'x-api-key': 'k' }, 200, {})).toBe(false);
    expect(isCacheable('GET', { authorization: 'Bearer x' }, 200, { 'cache-control': 'public' })).toBe(true);
  });
});
