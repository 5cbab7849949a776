import type { Logger } from 'pino';
import { LOGIN_THROTTLE_STORE_NAMES } from '../../config/identity-schema.js';
import type { PorticoConfig } from '../../config/schema.js';
import type { LoginThrottlePort, ThrottleOptions } from './login-throttle-port.js';
import { MemoryLoginThrottle } from './memory-login-throttle.js';

export type { LoginThrottlePort, ThrottleDecision, ThrottleOptions } from './login-throttle-port.js';
export { MemoryLoginThrottle } from './memory-login-throttle.js';

/**
 * Resolves `identity.throttle` to its adapter (STYLE habit 4). Without a Redis URL of its own
 * it takes the rate limiter's: one Redis for the shared state of a deployment.
 *
 * @example
 * ```ts
 * const throttle = await createLoginThrottle(config, logger);
 * health.addCheck('throttle', () => throttle.health());
 * ```
 */
export async function createLoginThrottle(
  config: Pick<PorticoConfig, 'identity' | 'gateway'>,
  logger?: Logger,
): Promise<LoginThrottlePort> {
  const settings = config.identity.throttle;
  const limits: ThrottleOptions = {
    maxFailuresPerIdentifier: settings.maxFailuresPerIdentifier,
    maxFailuresPerIp: settings.maxFailuresPerIp,
    windowSeconds: settings.windowSeconds,
    lockoutSeconds: settings.lockoutSeconds,
  };
  const url = settings.redisUrl || config.gateway.rateLimit.redisUrl;
  const store = settings.store ?? (url ? 'redis' : 'memory');
  const local = new MemoryLoginThrottle(limits);
  switch (store) {
    case 'memory':
      return local;
    case 'redis': {
      if (!url) {
        throw new Error(
          'identity.throttle.store is redis, and neither identity.throttle.redisUrl nor gateway.rateLimit.redisUrl is set',
        );
      }
      // ioredis is loaded only where it is used.
      const { RedisLoginThrottle } = await import('./redis-login-throttle.js');
      return new RedisLoginThrottle({
        ...limits,
        url,
        timeoutMs: settings.redisTimeoutMs,
        prefix: settings.prefix,
        local,
        ...(logger ? { logger } : {}),
      });
    }
    default:
      throw new Error(
        `unknown login-throttle store ${JSON.stringify(store)}; known: ${LOGIN_THROTTLE_STORE_NAMES.join(', ')}`,
      );
  }
}
