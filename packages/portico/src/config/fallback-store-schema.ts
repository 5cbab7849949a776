import { Type } from '@sinclair/typebox';
import { RedisUrl } from './rate-limit-schema.js';

/** Where the gateway's fallback answers live; `gateway/resilience/fallback-stores.ts` resolves the name. */
export const FALLBACK_STORE_NAMES = ['memory', 'redis'] as const;

/**
 * `gateway.fallbackStore`: where the fallback cache's answers live. Whether a service has one,
 * and its limits, are `gateway.fallbackCache` and `services.{name}.fallbackCache`.
 */
export const FallbackStoreSchema = Type.Object(
  {
    /** Unset: `memory`. `redis` shares the answers between gateways. */
    store: Type.Optional(
      Type.Unsafe<(typeof FALLBACK_STORE_NAMES)[number]>({ type: 'string', enum: [...FALLBACK_STORE_NAMES] }),
    ),
    /** Empty: the rate limiter's (`gateway.rateLimit.redisUrl`, PORTICO_REDIS_URL). */
    redisUrl: RedisUrl(),
    /** Longest wait for Redis when a fallback answer is looked up there. */
    redisTimeoutMs: Type.Integer({ minimum: 1, maximum: 10_000, default: 200 }),
    /** Prepended to every Redis key. */
    prefix: Type.String({ maxLength: 256, default: 'portico:fb:' }),
    /** How often the answers kept since the last time are written to Redis, in one pipeline. */
    flushMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 1_000 }),
  },
  { additionalProperties: false, default: {} },
);

/** Environment variables of `gateway.fallbackStore`, by the key's path. */
export const FALLBACK_STORE_ENV_OVERRIDES: Record<string, readonly string[]> = {
  PORTICO_FALLBACK_STORE: ['gateway', 'fallbackStore', 'store'],
  PORTICO_FALLBACK_REDIS_URL: ['gateway', 'fallbackStore', 'redisUrl'],
};
