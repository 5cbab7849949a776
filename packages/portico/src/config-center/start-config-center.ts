import type { FastifyInstance } from 'fastify';
import type { PorticoConfig } from '../config/schema.js';
import type { Identity } from '../identity/identity.js';
import { ConfigWatchHub } from './config-watch-hub.js';
import { createConfigStore } from './create-config-store.js';
import { configRoutes } from './http/config-routes.js';

/** The config center of the process that holds identity. */
export interface RunningConfigCenter {
  /** Registers `/v1/config/...` on the admin app. */
  routes(app: FastifyInstance): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the tenant config center (docs/config-center.md) on identity's store: the adapter
 * `configCenter.adapter` names, the in-process watch hub, and the admin routes.
 *
 * @example
 * ```ts
 * const configCenter = startConfigCenter(config, identity);
 * await createAdminServer({ ..., plugins: [configCenter.routes] });
 * ```
 */
export function startConfigCenter(config: PorticoConfig, identity: Identity): RunningConfigCenter {
  const configs = createConfigStore(config.configCenter.adapter, identity.store);
  const hub = new ConfigWatchHub();
  return {
    async routes(app) {
      await app.register(configRoutes, { identity, configs, hub, maxEntryBytes: config.configCenter.maxEntryBytes });
    },
    close: () => configs.close(),
  };
}
