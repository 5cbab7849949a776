import { type Static, Type } from '@sinclair/typebox';
import { MemoryRateLimiter } from '../rate-limit/memory-rate-limiter.js';
import { RATE_LIMIT_ALGORITHMS, type RateLimitDecision, type RateLimitRule } from '../rate-limit/rate-limit-rule.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { GatewayPolicy, PolicyDenial, PolicyVerdict } from './gateway-policy.js';
import type { PolicyExchange } from './policy-exchange.js';

/** Whose requests a limit counts together. */
export const RATE_LIMIT_KEYS = ['consumer', 'tenant', 'ip'] as const;

/** Per-route settings: `services.{name}.policies.rateLimit`. */
export const RateLimitConfig = Type.Object(
  {
    /** Requests allowed per window and key. */
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    windowSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
    /** Default `consumer`: the caller's principal when authenticated, else its address. */
    by: Type.Optional(Type.Union(RATE_LIMIT_KEYS.map((key) => Type.Literal(key)))),
    /** Default `gcra`. */
    algorithm: Type.Optional(Type.Union(RATE_LIMIT_ALGORITHMS.map((name) => Type.Literal(name)))),
    /** GCRA only: requests that may arrive at once; default `limit`. */
    burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export type RateLimitConfig = Static<typeof RateLimitConfig>;

/**
 * Rate limit (priority 1700, after authorization, so the principal and tenant are known and
 * refused callers are not counted): `limit` requests per `windowSeconds` for each consumer,
 * tenant or address, counted by GCRA or a sliding window in the gateway's limiter (memory, or
 * Redis shared by every gateway). Every answer it lets through carries `RateLimit-Limit`,
 * `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`; a refused one is 429
 * `RATE_LIMITED` with `Retry-After` too. It applies to public services as well: keyed by address,
 * it needs no identity.
 *
 * @example
 * ```ts
 * // portico.yaml: services: { hello: { policies: { rateLimit: { limit: 100, windowSeconds: 60, by: ip } } } }
 * const compile = policyCompiler(BUILT_IN_POLICIES, { identity, rateLimiter }, configFor);
 * ```
 */
export const rateLimit: GatewayPolicy<RateLimitConfig> = {
  name: 'rateLimit',
  priority: 1700,
  schema: RateLimitConfig,
  check(config) {
    return config.burst !== undefined && config.algorithm === 'sliding-window'
      ? [{ path: '/burst', message: 'is for the gcra algorithm only; a sliding window has no burst' }]
      : [];
  },
  compile(access, config, env) {
    if (config === undefined) return undefined;
    const by = config.by ?? 'consumer';
    const algorithm = config.algorithm ?? 'gcra';
    const rule: RateLimitRule = {
      algorithm,
      limit: config.limit,
      windowMs: config.windowSeconds * 1000,
      burst: algorithm === 'gcra' ? (config.burst ?? config.limit) : config.limit,
    };
    // Named by service (or the declared route with a limit of its own), key and algorithm: a
    // recompiled route keeps its counters, and a rule whose counters mean something else starts afresh.
    const owner = access.scope === undefined ? access.service : `${access.service}@${access.scope}`;
    const bucket = (env.rateLimiter ?? defaultLimiter()).bucket(`${owner}:${by}:${algorithm}`, rule);
    const headers = new LimitHeaders(rule, config.windowSeconds, by);
    const keyOf = KEY_OF[by];
    return (exchange) => {
      const answer = bucket.hit(keyOf(exchange));
      return answer instanceof Promise
        ? answer.then((settled) => headers.verdict(exchange, settled))
        : headers.verdict(exchange, answer);
    };
  },
};

/** The caller's address as the socket has it: `x-forwarded-for` is anyone's to write. */
const ipOf = (exchange: PolicyExchange): string => exchange.req.socket.remoteAddress ?? 'unknown';

const KEY_OF: Record<RateLimitConfig['by'] & string, (exchange: PolicyExchange) => string> = {
  consumer: (exchange) => exchange.principal?.subject ?? ipOf(exchange),
  tenant: (exchange) => exchange.tenant?.name ?? ipOf(exchange),
  ip: ipOf,
};

/** The headers of one rule, their fixed parts built once when the route is compiled. */
class LimitHeaders {
  /** The most a caller may send at once: what `RateLimit-Remaining` counts down from. */
  readonly #limit: string;
  /** draft-ietf-httpapi-ratelimit-headers: quota and window, and the burst GCRA allows. */
  readonly #policy: string;
  readonly #refusal: string;

  constructor(rule: RateLimitRule, windowSeconds: number, by: string) {
    this.#limit = String(rule.burst);
    this.#policy =
      rule.algorithm === 'gcra' && rule.burst !== rule.limit
        ? `${rule.limit};w=${windowSeconds};burst=${rule.burst}`
        : `${rule.limit};w=${windowSeconds}`;
    const per = by === 'ip' ? 'address' : by === 'tenant' ? 'tenant' : 'caller';
    this.#refusal = `too many requests: the limit is ${rule.limit} per ${windowSeconds} s for each ${per}`;
  }

  verdict(exchange: PolicyExchange, decision: RateLimitDecision): PolicyVerdict {
    const reset = String(Math.ceil(decision.resetMs / 1000));
    if (decision.allowed) {
      exchange.answer ??= {};
      const answer = exchange.answer;
      answer['ratelimit-limit'] = this.#limit;
      answer['ratelimit-remaining'] = String(decision.remaining);
      answer['ratelimit-reset'] = reset;
      answer['ratelimit-policy'] = this.#policy;
      return undefined;
    }
    // Whole seconds, never 0: "retry in 0 s" invites a client to spin.
    const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    const denial: PolicyDenial = {
      code: 'RATE_LIMITED',
      message: `${this.#refusal}; retry in ${retryAfter} s`,
      headers: {
        'RateLimit-Limit': this.#limit,
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': reset,
        'RateLimit-Policy': this.#policy,
        'Retry-After': String(retryAfter),
      },
      details: { retryAfterSeconds: retryAfter },
    };
    return denial;
  }
}

let fallback: RateLimiter | undefined;
/** For an environment built without a limiter (unit tests, embedders): one in this process. */
function defaultLimiter(): RateLimiter {
  fallback ??= new MemoryRateLimiter();
  return fallback;
}
