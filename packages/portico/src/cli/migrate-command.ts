import { migrateToLatest, openStore, StoreError } from '../store/index.js';
import { CONFIG_ERROR_EXIT, readConfig } from './read-config.js';

/**
 * `portico migrate`: brings the store named by the configuration (PGlite under the data dir, or
 * `PORTICO_DATABASE_URL`) up to the latest schema and says what it applied. Starting Portico
 * does the same; this is for deployments that migrate in a separate step.
 *
 * @example
 * ```sh
 * PORTICO_DATABASE_URL=postgres://portico@db/portico portico migrate
 * ```
 */
export async function migrateCommand(): Promise<number> {
  const config = readConfig();
  if (!config) return CONFIG_ERROR_EXIT;
  try {
    const store = await openStore({ url: config.store.url, dataDir: config.dataDir, poolSize: 2 }, false);
    try {
      const applied = await migrateToLatest(store.db);
      const what = applied.length === 0 ? 'already up to date' : `applied ${applied.join(', ')}`;
      process.stdout.write(`portico: store ${store.kind} at ${store.location}: ${what}\n`);
    } finally {
      await store.close();
    }
    return 0;
  } catch (error) {
    if (error instanceof StoreError) {
      process.stderr.write(`portico: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
