import type { Logger } from 'pino';
import { REGISTRY_STORES } from '../config/registry-schema.js';
import type { PorticoConfig } from '../config/schema.js';
import type { PlatformHealth } from '../health/platform-health.js';
import type { PorticoMetrics } from '../observability/metrics.js';
import { MemoryRegistry } from './memory-registry.js';
import type { RegistryPort } from './registry-port.js';

/**
 * The registry a process that holds it serves (role `registry` or `all`), from
 * `registry.store`: `memory` (this process only) or `nats` (JetStream KV, shared by every
 * registry process on the same buckets; docs/scale-out.md). An unknown name is an error that
 * says which names exist.
 *
 * @example
 * ```ts
 * const registry = await startRegistry(config, logger, health, metrics);
 * ```
 */
export async function startRegistry(
  config: PorticoConfig,
  logger: Logger,
  health: PlatformHealth,
  metrics: PorticoMetrics,
): Promise<RegistryPort> {
  const counts = metrics.registryMetrics();
  const { store } = config.registry;
  let registry: RegistryPort;
  if (store === 'memory') {
    // In this process and in memory: it is up exactly as long as the process is.
    health.addCheck('registry', () => 'healthy');
    registry = new MemoryRegistry({
      ttlSeconds: config.registry.ttlSeconds,
      watchHistory: config.registry.watchHistory,
      onLeaseExpired: () => counts.leaseExpired(),
    });
  } else if (store === 'nats') {
    // Loaded only where it is used: a memory registry never loads the NATS client.
    const { connectKvRegistry } = await import('./kv-registry/index.js');
    const { nats } = config.registry;
    const url = nats.url || config.bus.url;
    if (!url) throw new Error('registry.store is nats but neither registry.nats.url nor bus.url names a server');
    const kv = await connectKvRegistry({
      ...nats,
      url,
      logger,
      ttlSeconds: config.registry.ttlSeconds,
      watchHistory: config.registry.watchHistory,
      onLeaseExpired: () => counts.leaseExpired(),
    });
    // Reads and watches go on from the mirror while NATS is away; writes fail until it returns.
    health.addCheck('registry', () => (kv.connected() ? 'healthy' : 'degraded'));
    registry = kv;
  } else {
    throw new Error(`unknown registry.store "${String(store)}": use one of ${REGISTRY_STORES.join(', ')}`);
  }
  counts.read(registry);
  return registry;
}
