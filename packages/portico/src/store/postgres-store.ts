import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';
import { listenPostgres } from './postgres-listener.js';
import { type Store, StoreError } from './store.js';

/**
 * Opens a PostgreSQL store through a `pg` pool and checks the connection once, so a wrong URL
 * fails the start rather than the first login.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore('postgres://portico:secret@127.0.0.1:5432/portico', 10);
 * ```
 */
export async function openPostgresStore(url: string, poolSize: number): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  // An idle client that loses its server emits 'error' on the pool; without a listener it would crash.
  pool.on('error', () => {});
  const location = redact(url);
  try {
    const client = await pool.connect();
    client.release();
  } catch (cause) {
    await pool.end().catch(() => {});
    throw new StoreError(`cannot connect to PostgreSQL at ${location}: ${(cause as Error).message}`, { cause });
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    location,
    listen: (channel, onNotification) => listenPostgres(url, channel, onNotification),
    close: () => db.destroy(),
  };
}

/** The URL as it may appear in a log: the password replaced. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'an unparsable URL';
  }
}
