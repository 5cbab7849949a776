/**
 * One contract for both fallback stores (memory, and Redis against a real redis-server): an
 * answer kept is served, a stale or oversized one is not, and memory stays within its bytes.
 * Then what only the Redis adapter promises: an answer kept by one gateway's store serves on
 * another after the write-behind flush, and an outage answers "nothing" at once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CachedResponse, MemoryFallbackStore } from '../packages/portico/src/gateway/resilience/fallback-cache.js';
import type { FallbackStore } from '../packages/portico/src/gateway/resilience/fallback-store.js';
import { RedisFallbackStore } from '../packages/portico/src/gateway/resilience/redis-fallback-store.js';
import { waitUntil } from './support/http.js';
import { type RedisServer, startRedis } from './support/redis.js';

const SETTINGS = { enabled: true, maxEntryBytes: 1_024, maxTotalBytes: 4_096, maxStaleSeconds: 60 };
const answer = (body: string, storedAt = Date.now()): CachedResponse => ({
  status: 200,
  headers: { 'content-type': 'text/plain', 'x-kept': body.slice(0, 8) },
  body: Buffer.from(body),
  storedAt,
});

let redis: RedisServer;
const opened: FallbackStore[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await redis?.stop();
});

function redisStore(prefix: string, url = redis.url): RedisFallbackStore {
  // A flush interval longer than any test: the tests flush when they mean to.
  const store = new RedisFallbackStore({ url, timeoutMs: 1_000, prefix, flushMs: 60_000 });
  opened.push(store);
  return store;
}

const adapters: Record<string, () => Promise<FallbackStore>> = {
  memory: async () => new MemoryFallbackStore(),
  redis: async () => {
    const store = redisStore(`contract:${randomUUID()}:`);
    await waitUntil(() => store.health() === 'healthy', 5_000);
    return store;
  },
};

describe.each(Object.keys(adapters))('fallback store contract: %s', (name) => {
  let store: FallbackStore;
  beforeAll(async () => {
    store = await (adapters[name] as () => Promise<FallbackStore>)();
  });

  it('serves the last answer kept for a key, per service', async () => {
    const orders = store.forService('orders', SETTINGS);
    const users = store.forService('users', SETTINGS);
    orders.store('/api/orders/1', answer('first'));
    orders.store('/api/orders/1', answer('second'));
    const found = await orders.lookup('/api/orders/1', Date.now());
    expect(found?.body.toString()).toBe('second');
    expect(found?.headers['x-kept']).toBe('second');
    expect(await users.lookup('/api/orders/1', Date.now())).toBeUndefined();
    expect(store.health()).toBe('healthy');
  });

  it('serves nothing staler than maxStaleSeconds, nothing bigger than maxEntryBytes', async () => {
    const cache = store.forService('stale', SETTINGS);
    cache.store('/old', answer('old', Date.now() - 61_000));
    expect(await cache.lookup('/old', Date.now())).toBeUndefined();
    cache.store('/big', answer('x'.repeat(SETTINGS.maxEntryBytes + 1)));
    expect(await cache.lookup('/big', Date.now())).toBeUndefined();
  });

  it('keeps memory within maxTotalBytes, the oldest dropped first', async () => {
    const cache = store.forService('bounded', SETTINGS);
    for (let i = 0; i < 8; i++) cache.store(`/item/${i}`, answer(String(i).repeat(1_000)));
    expect(cache.size).toBe(4);
  });
});

describe('Redis fallback store', () => {
  it('serves on a second gateway what the first kept, after the flush, without a command per store', async () => {
    const prefix = `shared:${randomUUID()}:`;
    const [one, two] = [redisStore(prefix), redisStore(prefix)];
    await waitUntil(() => one.health() === 'healthy' && two.health() === 'healthy', 5_000);
    const kept = one.forService('orders', SETTINGS);
    const other = two.forService('orders', SETTINGS);
    kept.store('/api/orders/7', answer('seven'));
    // Written behind: nothing in Redis before the flush.
    expect(await other.lookup('/api/orders/7', Date.now())).toBeUndefined();
    await one.flush();
    const found = other.lookup('/api/orders/7', Date.now());
    expect(found).toBeInstanceOf(Promise);
    expect((await found)?.body.toString()).toBe('seven');
    // Now kept in the second one's memory too: answered without asking Redis.
    expect(other.lookup('/api/orders/7', Date.now())).not.toBeInstanceOf(Promise);
  });

  it('answers nothing at once while Redis is out of reach, and serves its own answers', async () => {
    const down = await startRedis();
    const store = redisStore('outage:', down.url);
    await waitUntil(() => store.health() === 'healthy', 5_000);
    const cache = store.forService('orders', SETTINGS);
    cache.store('/own', answer('own'));
    await down.stop();
    await waitUntil(() => store.health() === 'degraded', 5_000);
    expect(cache.lookup('/elsewhere', Date.now())).toBeUndefined();
    expect((cache.lookup('/own', Date.now()) as CachedResponse | undefined)?.body.toString()).toBe('own');
    await store.flush(); // nothing to reach: no error
  });
});
