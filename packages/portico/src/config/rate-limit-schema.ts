import { Type } from '@sinclair/typebox';

/** A Redis URL, or empty for none: one pattern for every part of the config that can use Redis. */
export const RedisUrl = () => Type.String({ default: '', maxLength: 2048, pattern: '^(rediss?://.+)?$' });

/** Where the gateway's rate-limit counters live; `gateway/rate-limit` resolves the name. */
export const RATE_LIMIT_STORE_NAMES = ['memory', 'redis'] as const;

/**
 * `gateway.rateLimit`: where counters live. The limits themselves are per service, under
 * `services.{name}.policies.rateLimit` (gateway/policies/rate-limit.ts).
 */
export const RateLimitSchema = Type.Object(
  {
    /** Unset: `redis` when `redisUrl` is set, else `memory`. */
    store: Type.Optional(
      Type.Unsafe<(typeof RATE_LIMIT_STORE_NAMES)[number]>({ type: 'string', enum: [...RATE_LIMIT_STORE_NAMES] }),
    ),
    /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
    redisUrl: RedisUrl(),
    /** Longest wait for Redis's answer before the request is counted locally instead. */
    redisTimeoutMs: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
    /** Prepended to every Redis key, so deployments can share one Redis. */
    prefix: Type.String({ maxLength: 256, default: 'portico:rl:' }),
    /** Keys the memory store (and Redis's local stand-in) keeps at most. */
    maxKeys: Type.Integer({ minimum: 1_000, maximum: 100_000_000, default: 100_000 }),
  },
  { additionalProperties: false, default: {} },
);

/** Environment variables of `gateway.rateLimit`, by the key's path. */
export const RATE_LIMIT_ENV_OVERRIDES: Record<string, readonly string[]> = {
  PORTICO_RATE_LIMIT_STORE: ['gateway', 'rateLimit', 'store'],
  PORTICO_REDIS_URL: ['gateway', 'rateLimit', 'redisUrl'],
  PORTICO_REDIS_TIMEOUT_MS: ['gateway', 'rateLimit', 'redisTimeoutMs'],
};
