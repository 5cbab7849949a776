import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Principal, Tenant } from '../../identity/model.js';
import { MemoryRateLimiter } from '../rate-limit/memory-rate-limiter.js';
import { type AccessPhase, BUILT_IN_POLICIES, policyCompiler, policyConfigProblems } from './index.js';
import type { PolicyExchange } from './policy-exchange.js';
import { type RateLimitConfig, rateLimit } from './rate-limit.js';

const PUBLIC = { service: 'hello', auth: 'public' as const, endpoints: [] };

function setup(config: RateLimitConfig) {
  let now = 1_000_000;
  const rateLimiter = new MemoryRateLimiter({ clock: () => now, sweepIntervalMs: 0 });
  const phase = rateLimit.compile(PUBLIC, config, { identity: undefined, rateLimiter }) as AccessPhase;
  const call = (from: { ip?: string; principal?: string; tenant?: string } = {}) => {
    const exchange = {
      req: { socket: { remoteAddress: from.ip ?? '203.0.113.9' }, headers: {} } as unknown as IncomingMessage,
      res: {} as ServerResponse,
      principal: from.principal ? ({ subject: from.principal } as Principal) : undefined,
      tenant: from.tenant ? ({ name: from.tenant } as Tenant) : undefined,
    } as unknown as PolicyExchange;
    const verdict = phase(exchange);
    // The headers for the caller's answer are left on the exchange, for whoever writes it.
    return { verdict, headers: exchange.answer ?? {} };
  };
  return { call, advance: (ms: number) => (now += ms) };
}

describe('rate-limit policy', () => {
  it('does nothing for a service without a limit', () => {
    expect(rateLimit.compile(PUBLIC, undefined, { identity: undefined })).toBeUndefined();
  });

  it('gives a public service a chain of its own (authentication and tenancy skip it)', () => {
    const compile = policyCompiler(
      BUILT_IN_POLICIES,
      { identity: undefined, rateLimiter: new MemoryRateLimiter() },
      (_s, p) => (p === 'rateLimit' ? { limit: 1, windowSeconds: 1 } : undefined),
    );
    expect(compile(PUBLIC)?.names).toEqual(['rateLimit']);
  });

  it("keeps a declared route's own limit apart from the service's; a route without one shares it", () => {
    const rateLimiter = new MemoryRateLimiter({ sweepIntervalMs: 0 });
    const compile = policyCompiler(BUILT_IN_POLICIES, { identity: undefined, rateLimiter }, (_s, p) =>
      p === 'rateLimit' ? { limit: 1, windowSeconds: 60, by: 'ip' } : undefined,
    );
    const exchange = {
      req: { socket: { remoteAddress: '203.0.113.7' }, headers: {} },
      res: { setHeader: () => undefined },
    } as unknown as PolicyExchange;
    const first = (chain: ReturnType<typeof compile>) => {
      if (chain === undefined) throw new Error('no chain compiled');
      return (chain.phases[0] as AccessPhase)(exchange);
    };
    const service = compile(PUBLIC);
    const inheriting = compile(PUBLIC, undefined, 'shop');
    const own = compile(PUBLIC, { rateLimit: { limit: 1, windowSeconds: 60, by: 'ip' } }, 'shop');
    expect(first(service)).toBeUndefined();
    expect(first(inheriting), 'the same limit as the service, so the same counter').toMatchObject({
      code: 'RATE_LIMITED',
    });
    expect(first(own), 'a limit of its own counts on its own').toBeUndefined();
    expect(first(own)).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('answers synchronously with the RateLimit headers, then 429 with Retry-After', () => {
    const { call, advance } = setup({ limit: 3, windowSeconds: 60, by: 'ip' });
    const first = call();
    expect(first.verdict).toBeUndefined();
    expect(first.headers).toEqual({
      'ratelimit-limit': '3',
      'ratelimit-remaining': '2',
      'ratelimit-reset': '20',
      'ratelimit-policy': '3;w=60',
    });
    call();
    expect(call().headers['ratelimit-remaining']).toBe('0');
    const refused = call().verdict;
    expect(refused).toEqual({
      code: 'RATE_LIMITED',
      message: 'too many requests: the limit is 3 per 60 s for each address; retry in 20 s',
      headers: {
        'RateLimit-Limit': '3',
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': '60',
        'RateLimit-Policy': '3;w=60',
        'Retry-After': '20',
      },
      details: { retryAfterSeconds: 20 },
    });
    advance(19_999);
    expect(call().verdict).toMatchObject({ headers: { 'Retry-After': '1' } });
    advance(1);
    expect(call().verdict).toBeUndefined();
  });

  it('keys by consumer (principal, else address), tenant (else address) or address', () => {
    const byConsumer = setup({ limit: 1, windowSeconds: 60 });
    expect(byConsumer.call({ principal: 'u1', ip: '10.0.0.1' }).verdict).toBeUndefined();
    expect(byConsumer.call({ principal: 'u1', ip: '10.0.0.2' }).verdict).toBeDefined();
    expect(byConsumer.call({ principal: 'u2', ip: '10.0.0.1' }).verdict).toBeUndefined();
    expect(byConsumer.call({ ip: '10.0.0.1' }).verdict).toBeUndefined();
    expect(byConsumer.call({ ip: '10.0.0.1' }).verdict).toBeDefined();

    const byTenant = setup({ limit: 1, windowSeconds: 60, by: 'tenant' });
    expect(byTenant.call({ tenant: 'acme', principal: 'u1' }).verdict).toBeUndefined();
    expect(byTenant.call({ tenant: 'acme', principal: 'u2' }).verdict).toBeDefined();
    expect(byTenant.call({ tenant: 'globex' }).verdict).toBeUndefined();
    expect(byTenant.call({ ip: '10.0.0.9' }).verdict).toBeUndefined();

    const byIp = setup({ limit: 1, windowSeconds: 60, by: 'ip' });
    expect(byIp.call({ principal: 'u1', ip: '10.0.0.1' }).verdict).toBeUndefined();
    expect(byIp.call({ principal: 'u2', ip: '10.0.0.1' }).verdict).toBeDefined();
  });

  it('names the burst in RateLimit-Policy and counts Remaining down from it', () => {
    const { call } = setup({ limit: 10, windowSeconds: 1, burst: 20, by: 'ip' });
    expect(call().headers).toMatchObject({
      'ratelimit-limit': '20',
      'ratelimit-remaining': '19',
      'ratelimit-policy': '10;w=1;burst=20',
    });
    const sliding = setup({ limit: 10, windowSeconds: 1, algorithm: 'sliding-window', by: 'ip' });
    expect(sliding.call().headers).toMatchObject({ 'ratelimit-limit': '10', 'ratelimit-policy': '10;w=1' });
  });

  it('refuses bad settings with the key and a readable reason', () => {
    const HELLO = ['services', 'hello', 'policies'];
    const problems = (value: unknown) => policyConfigProblems(BUILT_IN_POLICIES, { rateLimit: value }, HELLO);
    expect(problems({ limit: 10, windowSeconds: 60, by: 'ip', algorithm: 'sliding-window' })).toEqual([]);
    expect(problems({ windowSeconds: 60 })).toEqual([
      { path: ['services', 'hello', 'policies', 'rateLimit', 'limit'], message: 'is required' },
    ]);
    expect(problems({ limit: 0, windowSeconds: 60 })[0]?.message).toBe('must be >= 1');
    expect(problems({ limit: 1.5, windowSeconds: 60 })[0]?.message).toBe('must be a whole number');
    expect(problems({ limit: 1, windowSeconds: 60, by: 'user' })[0]?.message).toBe(
      'must be one of: consumer, tenant, ip',
    );
    expect(problems({ limit: 1, windowSeconds: 60, per: 'ip' })[0]).toEqual({
      path: ['services', 'hello', 'policies', 'rateLimit', 'per'],
      message: 'is not a known setting',
    });
    expect(problems({ limit: 1, windowSeconds: 60, algorithm: 'sliding-window', burst: 5 })).toEqual([
      {
        path: ['services', 'hello', 'policies', 'rateLimit', 'burst'],
        message: 'is for the gcra algorithm only; a sliding window has no burst',
      },
    ]);
    expect(policyConfigProblems(BUILT_IN_POLICIES, { ratelimit: {} }, HELLO)[0]?.message).toMatch(
      /^is not a known policy; known: .*rateLimit/,
    );
  });
});
