import type { BusPort } from '@portico/sdk';
import type { PorticoConfig } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { BusMetrics } from './bus-metrics.js';
import { BusError } from './errors.js';

/** What an adapter may need besides its config. */
export interface BusDeps {
  /** The store, for the embedded adapter. */
  store?: Store;
  metrics?: BusMetrics;
}

/**
 * The bus a config names: `embedded` (durable in the store) or `nats` (JetStream). Each adapter
 * is loaded only when named, so a process on the embedded bus never loads the NATS client.
 *
 * @example
 * ```ts
 * const bus = await createBus(config.bus, { store });
 * ```
 */
export async function createBus(config: PorticoConfig['bus'], deps: BusDeps): Promise<BusPort> {
  switch (config.adapter) {
    case 'embedded': {
      if (!deps.store)
        throw new BusError('BUS_CONFIG_INVALID', 'bus.adapter "embedded" needs the store in this process');
      const { EmbeddedBus } = await import('./embedded/embedded-bus.js');
      return new EmbeddedBus(deps.store.db, {
        retention: { defaults: config.retention, topics: config.topics, dedupWindowMs: config.dedupWindowMs },
        pollMs: config.pollMs,
        sweepMs: config.sweepMs,
        maxFetch: config.maxFetch,
        metrics: deps.metrics,
        // PostgreSQL: publishes NOTIFY and one dedicated connection LISTENs (docs/bus.md, "Wake-up").
        ...(deps.store.listen ? { listen: deps.store.listen.bind(deps.store) } : {}),
      });
    }
    case 'nats':
      return createNatsBus(config, deps);
    default:
      throw new BusError(
        'BUS_CONFIG_INVALID',
        `bus.adapter "${String(config.adapter)}" is unknown; use "embedded" or "nats"`,
      );
  }
}

/**
 * The seam of the NATS adapter (packages/portico/src/bus/nats/, written beside this one). Until it
 * is there, naming it is a clear config error rather than a crash.
 */
async function createNatsBus(config: PorticoConfig['bus'], deps: BusDeps): Promise<BusPort> {
  const path = './nats/nats-bus.js';
  let module: { createNatsBus?: (config: PorticoConfig['bus'], deps: BusDeps) => Promise<BusPort> };
  try {
    module = await import(path);
  } catch {
    module = {};
  }
  if (!module.createNatsBus) {
    throw new BusError('BUS_CONFIG_INVALID', 'bus.adapter "nats" is not available in this build; use "embedded"');
  }
  return module.createNatsBus(config, deps);
}
