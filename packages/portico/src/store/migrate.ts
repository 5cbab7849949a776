import { type Kysely, Migrator } from 'kysely';
import { MIGRATIONS } from './migrations/index.js';
import { StoreError } from './store.js';

/**
 * Applies every pending migration in order, under the migrator's lock so two processes starting
 * together apply each migration once. Returns the names it applied (empty when up to date).
 *
 * @example
 * ```ts
 * const applied = await migrateToLatest(store.db);
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema.
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'portico_migrations',
    migrationLockTableName: 'portico_migrations_lock',
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new StoreError(`migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
