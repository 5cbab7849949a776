import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import type { Database } from './database.js';
import { PGliteDialect } from './pglite-dialect.js';
import { pgliteTemplate } from './pglite-template.js';
import { type Store, StoreError } from './store.js';

/**
 * Opens the embedded store: PGlite in `dir` (created from the cached template the first time),
 * or in memory when `dir` is undefined.
 *
 * @example
 * ```ts
 * const store = await openPgliteStore('.portico/store');
 * ```
 */
export async function openPgliteStore(dir: string | undefined): Promise<Store> {
  let pglite: PGlite;
  try {
    if (dir === undefined) {
      pglite = await PGlite.create({ loadDataDir: await pgliteTemplate() });
    } else if (existsSync(join(dir, 'PG_VERSION'))) {
      pglite = await PGlite.create(dir);
    } else {
      await mkdir(dir, { recursive: true });
      pglite = await PGlite.create(dir, { loadDataDir: await pgliteTemplate() });
    }
  } catch (cause) {
    throw new StoreError(`cannot open the embedded store in ${dir ?? 'memory'}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    kind: 'pglite',
    db,
    location: dir ?? 'memory',
    async close() {
      await db.destroy();
      await pglite.close();
    },
  };
}
