import type { Logger } from 'pino';
import { FALLBACK_STORE_NAMES } from '../../config/fallback-store-schema.js';
import type { PorticoConfig } from '../../config/schema.js';
import { MemoryFallbackStore } from './fallback-cache.js';
import type { FallbackStore } from './fallback-store.js';

/**
 * Resolves `gateway.fallbackStore` to its adapter (STYLE habit 4). Without a Redis URL of its own
 * it takes the rate limiter's: one Redis for the shared state of a deployment.
 *
 * @example
 * ```ts
 * const fallbacks = await createFallbackStore(config.gateway, logger);
 * if (fallbacks.store === 'redis') health.addCheck('fallback', () => fallbacks.health());
 * ```
 */
export async function createFallbackStore(
  gateway: Pick<PorticoConfig['gateway'], 'fallbackStore' | 'rateLimit'>,
  logger?: Logger,
): Promise<FallbackStore> {
  const settings = gateway.fallbackStore;
  const store = settings.store ?? 'memory';
  switch (store) {
    case 'memory':
      return new MemoryFallbackStore();
    case 'redis': {
      const url = settings.redisUrl || gateway.rateLimit.redisUrl;
      if (!url) {
        throw new Error(
          'gateway.fallbackStore.store is redis, and neither gateway.fallbackStore.redisUrl nor gateway.rateLimit.redisUrl is set',
        );
      }
      // ioredis is loaded only where it is used.
      const { RedisFallbackStore } = await import('./redis-fallback-store.js');
      return new RedisFallbackStore({
        url,
        timeoutMs: settings.redisTimeoutMs,
        prefix: settings.prefix,
        flushMs: settings.flushMs,
        ...(logger ? { logger } : {}),
      });
    }
    default:
      throw new Error(`unknown fallback store ${JSON.stringify(store)}; known: ${FALLBACK_STORE_NAMES.join(', ')}`);
  }
}
