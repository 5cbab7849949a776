import { join } from 'node:path';
import type { PorticoConfig } from '../config/schema.js';
import { HttpRegistry } from './http-registry.js';
import type { LastKnownGoodOptions } from './last-known-good.js';
import type { RegistryPort } from './registry-port.js';

/**
 * The last-known-good settings for a gateway's registry: present only when it follows a registry
 * in another process (an in-process one cannot be away) and `registry.lastKnownGood.enabled`.
 *
 * @example
 * ```ts
 * new RegistryFollower({ registry, apply, logger, ...lastKnownGoodOptions(config, registry) });
 * ```
 */
export function lastKnownGoodOptions(
  config: PorticoConfig,
  registry: RegistryPort,
): { lastKnownGood?: LastKnownGoodOptions } {
  const { enabled, file, debounceMs, waitMs } = config.registry.lastKnownGood;
  if (!enabled || !(registry instanceof HttpRegistry)) return {};
  return { lastKnownGood: { path: file || join(config.dataDir, 'last-known-good.json'), debounceMs, waitMs } };
}
