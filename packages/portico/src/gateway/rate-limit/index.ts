import type { Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import { RATE_LIMIT_STORE_NAMES, type RateLimitSchema } from '../../config/rate-limit-schema.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import type { RateLimiter } from './rate-limiter.js';

export { gcraHit } from './gcra.js';
export { MemoryRateLimiter } from './memory-rate-limiter.js';
export {
  RATE_LIMIT_ALGORITHMS,
  type RateLimitAlgorithm,
  type RateLimitDecision,
  type RateLimitRule,
} from './rate-limit-rule.js';
export type { RateLimitBucket, RateLimiter } from './rate-limiter.js';
export { slidingWindowHit } from './sliding-window.js';

/** `gateway.rateLimit` as configured. */
export type RateLimitSettings = Static<typeof RateLimitSchema>;

/**
 * Resolves `gateway.rateLimit` to its adapter (STYLE habit 4).
 *
 * @example
 * ```ts
 * const limiter = await createRateLimiter(config.gateway.rateLimit, logger);
 * health.addCheck('ratelimit', () => limiter.health());
 * ```
 */
export async function createRateLimiter(settings: RateLimitSettings, logger?: Logger): Promise<RateLimiter> {
  const store = settings.store ?? (settings.redisUrl ? 'redis' : 'memory');
  const local = new MemoryRateLimiter({ maxKeys: settings.maxKeys });
  switch (store) {
    case 'memory':
      return local;
    case 'redis': {
      if (!settings.redisUrl)
        throw new Error('gateway.rateLimit.store is redis, and gateway.rateLimit.redisUrl is empty');
      // ioredis is loaded only where it is used: a gateway on the memory store does not carry it.
      const { RedisRateLimiter } = await import('./redis-rate-limiter.js');
      return new RedisRateLimiter({
        url: settings.redisUrl,
        timeoutMs: settings.redisTimeoutMs,
        prefix: settings.prefix,
        local,
        ...(logger ? { logger } : {}),
      });
    }
    default:
      throw new Error(`unknown rate-limit store ${JSON.stringify(store)}; known: ${RATE_LIMIT_STORE_NAMES.join(', ')}`);
  }
}
