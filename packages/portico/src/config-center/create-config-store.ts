import { CONFIG_STORE_ADAPTERS } from '../config/config-center-schema.js';
import type { Store } from '../store/store.js';
import type { ConfigStorePort } from './config-store-port.js';
import { MemoryConfigStore } from './memory-config-store.js';
import { SqlConfigStore } from './sql-config-store.js';

/**
 * The adapter a config names: `store` (the platform's PGlite or PostgreSQL, durable) or
 * `memory` (gone at restart). An unknown name is a clear error, not a silent default.
 *
 * @example
 * ```ts
 * const configs = createConfigStore('store', identity.store);
 * ```
 */
export function createConfigStore(adapter: string, store: Store): ConfigStorePort {
  switch (adapter) {
    case 'store':
      return new SqlConfigStore(store.db as never);
    case 'memory':
      return new MemoryConfigStore();
    default:
      throw new Error(`unknown configCenter.adapter "${adapter}": use one of ${CONFIG_STORE_ADAPTERS.join(', ')}`);
  }
}
