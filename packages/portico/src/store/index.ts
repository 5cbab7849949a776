import { join } from 'node:path';
import { migrateToLatest } from './migrate.js';
import { openPgliteStore } from './pglite-store.js';
import { openPostgresStore } from './postgres-store.js';
import { type Store, StoreError } from './store.js';

export type { Database } from './database.js';
export { migrateToLatest } from './migrate.js';
export { type Store, StoreError, type StoreKind } from './store.js';

/** Where the store is. */
export interface StoreOptions {
  /** `postgres://…` for PostgreSQL, `memory:` for a throwaway PGlite, empty for PGlite in `dataDir`. */
  url: string;
  dataDir: string;
  poolSize: number;
}

/**
 * Resolves the store setting to an adapter (PGlite or PostgreSQL), opens it and, unless told
 * not to, brings the schema up to date.
 *
 * @example
 * ```ts
 * const store = await openStore({ url: process.env.PORTICO_DATABASE_URL ?? '', dataDir: '.portico', poolSize: 10 });
 * ```
 */
export async function openStore(options: StoreOptions, migrate = true): Promise<Store> {
  const store = await resolve(options);
  if (migrate) {
    try {
      await migrateToLatest(store.db);
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

function resolve({ url, dataDir, poolSize }: StoreOptions): Promise<Store> {
  if (url === '') return openPgliteStore(join(dataDir, 'store'));
  if (url === 'memory:') return openPgliteStore(undefined);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgresStore(url, poolSize);
  throw new StoreError('store.url must be empty (embedded), "memory:" or a postgres:// URL');
}
