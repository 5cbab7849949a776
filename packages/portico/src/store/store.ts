import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import type { NotificationHandler, StoreListener } from './postgres-listener.js';

/** Which engine holds the data. */
export type StoreKind = 'pglite' | 'postgres';

/**
 * The durable store: one Kysely handle over PGlite (embedded) or PostgreSQL. Everything above it
 * writes the same SQL; only `openStore` knows which engine it got.
 */
export interface Store {
  readonly kind: StoreKind;
  readonly db: Kysely<Database>;
  /** Where the data lives, for logs: a directory, `memory`, or the URL without its password. */
  readonly location: string;
  /**
   * PostgreSQL only: a dedicated connection (not from the pool) in `LISTEN channel`, for
   * wake-ups across processes. Absent on PGlite, which is one process's database.
   */
  listen?(channel: string, onNotification: NotificationHandler): Promise<StoreListener>;
  close(): Promise<void>;
}

/** Thrown when the store cannot be opened or migrated; the message names the setting to check. */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
}
