/**
 * The Redis adapter of the rate limiter against a real redis-server: its Lua scripts decide
 * exactly as the memory adapter's arithmetic does, atomically across clients, and an outage or a
 * hung Redis never holds a request up (the local stand-in answers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryRateLimiter,
  type RateLimitDecision,
  type RateLimitRule,
} from '../packages/portico/src/gateway/rate-limit/index.js';
import { RedisRateLimiter } from '../packages/portico/src/gateway/rate-limit/redis-rate-limiter.js';
import { waitUntil } from './support/http.js';
import { type RedisServer, startRedis } from './support/redis.js';

const settle = async (answer: RateLimitDecision | Promise<RateLimitDecision>) => ({ ...(await answer) });

describe('Redis rate limiter', () => {
  let redis: RedisServer;
  const limiters: RedisRateLimiter[] = [];
  const make = (options: { clock?: () => number; timeoutMs?: number; prefix?: string } = {}) => {
    const limiter = new RedisRateLimiter({
      url: redis.url,
      timeoutMs: options.timeoutMs ?? 1_000,
      prefix: options.prefix ?? 'test:',
      local: new MemoryRateLimiter({ sweepIntervalMs: 0 }),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    limiters.push(limiter);
    return limiter;
  };
  const ready = (limiter: RedisRateLimiter) => waitUntil(() => limiter.health() === 'healthy', 5_000);

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    await redis?.stop();
  });

  it.each<RateLimitRule>([
    { algorithm: 'gcra', limit: 7, windowMs: 1_000, burst: 7 },
    { algorithm: 'gcra', limit: 3, windowMs: 10_000, burst: 5 },
    { algorithm: 'sliding-window', limit: 7, windowMs: 1_000, burst: 7 },
    { algorithm: 'sliding-window', limit: 2, windowMs: 3_000, burst: 2 },
  ])('decides exactly as the memory adapter: %o', async (rule) => {
    let now = 1_750_000_000_000;
    const shared = make({ clock: () => now, prefix: `same:${rule.algorithm}:${rule.limit}:` });
    const local = new MemoryRateLimiter({ clock: () => now, sweepIntervalMs: 0 });
    await ready(shared);
    const viaRedis = shared.bucket('s:ip', rule);
    const inMemory = local.bucket('s:ip', rule);
    // A fixed pseudo-random walk: bursts at one instant and gaps of every size.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const differences: string[] = [];
    let allowed = 0;
    for (let i = 0; i < 400; i++) {
      if (random() < 0.5) now += Math.floor(random() * random() * rule.windowMs);
      const key = random() < 0.8 ? 'a' : 'b';
      const expected = { ...inMemory.hit(key) };
      const actual = await settle(viaRedis.hit(key));
      if (actual.allowed) allowed++;
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        differences.push(`#${i} at ${now}: redis ${JSON.stringify(actual)} memory ${JSON.stringify(expected)}`);
      }
    }
    await local.close();
    expect(differences).toEqual([]);
    // Both answers were exercised, not just one of them.
    expect(allowed).toBeGreaterThan(40);
    expect(allowed).toBeLessThan(360);
  });

  it('is exact across clients under concurrency: one script per request, atomically', async () => {
    const [one, two] = [make({ prefix: 'race:' }), make({ prefix: 'race:' })];
    await Promise.all([ready(one), ready(two)]);
    const rule: RateLimitRule = { algorithm: 'gcra', limit: 300, windowMs: 3_600_000, burst: 300 };
    const answers = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => settle((i % 2 ? one : two).bucket('s:ip', rule).hit('10.1.1.1'))),
    );
    expect(answers.filter((a) => a.allowed).length).toBe(300);
  });

  it('answers locally at once while Redis is down, and shares again once it is back', async () => {
    const limiter = make({ prefix: 'outage:' });
    await ready(limiter);
    const rule: RateLimitRule = { algorithm: 'gcra', limit: 5, windowMs: 3_600_000, burst: 5 };
    const bucket = limiter.bucket('s:ip', rule);
    for (let i = 0; i < 3; i++) expect((await settle(bucket.hit('k'))).allowed).toBe(true);

    await redis.stop();
    await waitUntil(() => limiter.health() === 'degraded', 2_000);
    const local = bucket.hit('k');
    // No promise: nothing waits on a connection that is not there.
    expect(local).not.toBeInstanceOf(Promise);
    let allowed = 0;
    for (let i = 0; i < 10; i++) if ((bucket.hit('k') as RateLimitDecision).allowed) allowed++;
    expect(allowed).toBe(4); // the local stand-in counts on its own: 5 in all, the first above included

    redis = await startRedis(redis.port);
    await ready(limiter);
    // A restarted Redis is empty: the shared count starts afresh.
    const again = await settle(bucket.hit('k'));
    expect(again).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('never waits longer than its timeout on a hung Redis, and says so', async () => {
    const limiter = make({ prefix: 'hung:', timeoutMs: 100 });
    await ready(limiter);
    const bucket = limiter.bucket('s:ip', { algorithm: 'gcra', limit: 5, windowMs: 60_000, burst: 5 });
    process.kill(redis.pid, 'SIGSTOP');
    try {
      const started = performance.now();
      const answer = await settle(bucket.hit('k'));
      const waited = performance.now() - started;
      expect(answer.allowed).toBe(true);
      expect(waited).toBeLessThan(600);
      expect(limiter.health()).toBe('degraded');
      // Meanwhile the next requests do not wait at all.
      expect(bucket.hit('k')).not.toBeInstanceOf(Promise);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    await waitUntil(() => limiter.health() === 'healthy', 5_000);
  });
});
