import type { BusPort } from '@portico/sdk';
import type { PorticoConfig } from '../config/schema.js';
import type { PlatformHealth } from '../health/platform-health.js';
import type { PorticoMetrics } from '../observability/metrics.js';
import type { Store } from '../store/store.js';
import { BusMetrics } from './bus-metrics.js';
import { createBus } from './create-bus.js';
import type { ConsumeLimits } from './http/consume-sessions.js';

/** The bus of a running process, and how to stop it. */
export interface RunningBus {
  bus: BusPort;
  /** What the admin port's consume API needs beside the bus (`bus.http` bounds, metrics). */
  consume: { limits: ConsumeLimits; metrics: BusMetrics };
  close(): Promise<void>;
}

/**
 * Starts the bus the config names, with its metrics and its `/health` dependency; `platform.ts`
 * calls it where the store lives (all-in-one).
 *
 * @example
 * ```ts
 * const { bus } = await startBus(config, store, health, metrics);
 * ```
 */
export async function startBus(
  config: PorticoConfig,
  store: Store | undefined,
  health: PlatformHealth,
  metrics: PorticoMetrics,
): Promise<RunningBus> {
  const busMetrics = new BusMetrics(metrics.registry);
  const bus = await createBus(config.bus, { store, metrics: busMetrics });
  // The gauges (lag, in flight, dead letters) read the bus when /metrics is scraped, not before.
  busMetrics.watch(() => bus.topics());
  // The embedded bus is the store, which has its own check; a network adapter reports itself.
  health.addCheck('bus', () => 'healthy');
  return { bus, consume: { limits: config.bus.http, metrics: busMetrics }, close: () => bus.close() };
}
