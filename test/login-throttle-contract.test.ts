/**
 * One contract for both login-throttle adapters (memory, and Redis against a real redis-server):
 * the same failures lock the same identifiers and addresses, parallel attempts cannot slip
 * past the limit, a success clears the identifier, and a lock ends on time. Then what only the
 * Redis adapter promises: two processes' adapters on one Redis count together, and an outage
 * falls back to counting locally without an error.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LoginThrottlePort,
  MemoryLoginThrottle,
  type ThrottleDecision,
  type ThrottleOptions,
} from '../packages/portico/src/identity/login-throttle/index.js';
import { RedisLoginThrottle } from '../packages/portico/src/identity/login-throttle/redis-login-throttle.js';
import { waitUntil } from './support/http.js';
import { type RedisServer, startRedis } from './support/redis.js';

const LIMITS: ThrottleOptions = {
  maxFailuresPerIdentifier: 3,
  maxFailuresPerIp: 5,
  windowSeconds: 1,
  lockoutSeconds: 1,
};

let redis: RedisServer;
const opened: LoginThrottlePort[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(opened.map((throttle) => throttle.close()));
  await redis?.stop();
});

function redisThrottle(prefix: string, limits = LIMITS): RedisLoginThrottle {
  const throttle = new RedisLoginThrottle({
    ...limits,
    url: redis.url,
    timeoutMs: 1_000,
    prefix,
    local: new MemoryLoginThrottle(limits),
  });
  opened.push(throttle);
  return throttle;
}

const adapters: Record<string, () => Promise<LoginThrottlePort>> = {
  memory: async () => {
    const throttle = new MemoryLoginThrottle(LIMITS);
    opened.push(throttle);
    return throttle;
  },
  redis: async () => {
    const throttle = redisThrottle(`contract:${randomUUID()}:`);
    await waitUntil(() => throttle.health() === 'healthy', 5_000);
    return throttle;
  },
};

async function fail(throttle: LoginThrottlePort, identifier: string, ip: string): Promise<void> {
  const decision = await throttle.begin(identifier, ip);
  if (!decision.allowed) throw new Error(`refused too early: ${identifier} from ${ip}`);
  await decision.failed();
}

const refusal = (decision: ThrottleDecision) => (decision.allowed ? 'allowed' : decision.retryAfterSeconds);

describe.each(Object.keys(adapters))('login throttle contract: %s', (name) => {
  let throttle: LoginThrottlePort;
  beforeAll(async () => {
    throttle = await (adapters[name] as () => Promise<LoginThrottlePort>)();
  });

  it('locks an identifier after its failures, and only that identifier', async () => {
    for (let i = 0; i < LIMITS.maxFailuresPerIdentifier; i++) await fail(throttle, 'acme/alice', '192.0.2.1');
    expect(refusal(await throttle.begin('acme/alice', '192.0.2.99'))).toBe(1);
    const other = await throttle.begin('acme/bob', '192.0.2.98');
    expect(other.allowed).toBe(true);
    if (other.allowed) await other.succeeded();
  });

  it('locks an address after its failures, whatever the identifier', async () => {
    for (let i = 0; i < LIMITS.maxFailuresPerIp; i++) await fail(throttle, `acme/spray-${i}`, '192.0.2.2');
    expect(refusal(await throttle.begin('acme/fresh', '192.0.2.2'))).toBe(1);
    expect((await throttle.begin('acme/fresh', '192.0.2.3')).allowed).toBe(true);
  });

  it('counts attempts still being verified, and a success clears the identifier', async () => {
    const parallel = await Promise.all(
      Array.from({ length: LIMITS.maxFailuresPerIdentifier }, () => throttle.begin('acme/carol', '192.0.2.4')),
    );
    expect(parallel.every((decision) => decision.allowed)).toBe(true);
    // All three may still fail: a fourth must wait.
    expect(refusal(await throttle.begin('acme/carol', '192.0.2.5'))).toBe(1);
    for (const decision of parallel) if (decision.allowed) await decision.failed();
    // Failed twice, then one success: the identifier starts afresh.
    await fail(throttle, 'acme/dave', '192.0.2.6');
    await fail(throttle, 'acme/dave', '192.0.2.6');
    const success = await throttle.begin('acme/dave', '192.0.2.6');
    if (!success.allowed) throw new Error('refused before the limit');
    await success.succeeded();
    await success.failed(); // settled already: not counted
    await fail(throttle, 'acme/dave', '192.0.2.7');
    await fail(throttle, 'acme/dave', '192.0.2.7');
    expect((await throttle.begin('acme/dave', '192.0.2.8')).allowed).toBe(true);
  });

  it('ends a lock after lockoutSeconds', async () => {
    for (let i = 0; i < LIMITS.maxFailuresPerIdentifier; i++) await fail(throttle, 'acme/erin', '192.0.2.9');
    expect((await throttle.begin('acme/erin', '192.0.2.10')).allowed).toBe(false);
    const waited = await waitUntil(async () => (await throttle.begin('acme/erin', '192.0.2.11')).allowed, 5_000, 100);
    expect(waited).toBeGreaterThan(500);
    expect(throttle.health()).toBe('healthy');
  });
});

describe('Redis login throttle', () => {
  it('counts failures on one client and locks on another (two processes on one Redis)', async () => {
    const prefix = `shared:${randomUUID()}:`;
    const [one, two] = [redisThrottle(prefix), redisThrottle(prefix)];
    await waitUntil(() => one.health() === 'healthy' && two.health() === 'healthy', 5_000);
    await fail(one, 'acme/frank', '192.0.2.20');
    await fail(two, 'acme/frank', '192.0.2.21');
    await fail(one, 'acme/frank', '192.0.2.22');
    expect(refusal(await two.begin('acme/frank', '192.0.2.23'))).toBe(1);
  });

  it('counts locally while Redis is out of reach: degraded, no error, still locking', async () => {
    const down = await startRedis();
    const throttle = new RedisLoginThrottle({
      ...LIMITS,
      url: down.url,
      timeoutMs: 200,
      prefix: 'outage:',
      local: new MemoryLoginThrottle(LIMITS),
    });
    opened.push(throttle);
    await waitUntil(() => throttle.health() === 'healthy', 5_000);
    await down.stop();
    await waitUntil(() => throttle.health() === 'degraded', 5_000);
    for (let i = 0; i < LIMITS.maxFailuresPerIdentifier; i++) await fail(throttle, 'acme/grace', '192.0.2.30');
    expect(refusal(await throttle.begin('acme/grace', '192.0.2.31'))).toBe(1);
    const back = await startRedis(down.port);
    await waitUntil(() => throttle.health() === 'healthy', 10_000);
    expect((await throttle.begin('acme/heidi', '192.0.2.32')).allowed).toBe(true);
    await back.stop();
  });
});
