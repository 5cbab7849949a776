/** The values of one entry: a JSON object, key → any JSON value. */
export type ConfigValues = Record<string, unknown>;

/** One tenant's configuration for one service, as it is now. */
export interface ConfigEntry {
  tenant: string;
  service: string;
  /** The revision of the write that made it; an `If-Match` names it. */
  revision: number;
  values: ConfigValues;
  updatedAt: string;
  updatedBy: string;
}

/** One write, as the watch reports it: the entry after it (`values` is `{}` once deleted). */
export interface ConfigChange {
  revision: number;
  tenant: string;
  service: string;
  kind: 'put' | 'deleted';
  values: ConfigValues;
  at: string;
  actor: string;
}

/** How a write changes the entry. */
export type ConfigWrite =
  | { kind: 'put'; values: ConfigValues }
  /** RFC 7386 JSON merge patch of the values: `null` removes a key, objects merge. */
  | { kind: 'patch'; patch: ConfigValues }
  | { kind: 'delete' };

/** A write's conditions and author. */
export interface WriteOptions {
  /** The revision the caller last read (`If-Match`); `0` = the entry must not exist yet. */
  ifRevision?: number;
  actor: string;
  /** Largest entry, as JSON, after the write (a patch can grow one); larger is `PAYLOAD_TOO_LARGE`. */
  maxBytes?: number;
  /** Runs in the write's transaction (the audit record), so both commit or neither does. */
  alongside?: (change: ConfigChange, tx: unknown) => Promise<void>;
}

/**
 * Where the config center keeps entries and their change log. Adapters: the store (PGlite and
 * PostgreSQL, `sql-config-store.ts`) and memory (tests, or a throwaway deployment). Both raise
 * `PRECONDITION_FAILED` when `ifRevision` is not the entry's revision, and `NOT_FOUND` for a
 * delete of nothing.
 */
export interface ConfigStorePort {
  get(tenant: string, service: string): Promise<ConfigEntry | undefined>;
  list(tenant: string): Promise<ConfigEntry[]>;
  write(tenant: string, service: string, write: ConfigWrite, options: WriteOptions): Promise<ConfigChange>;
  /** Changes after `revision` of `tenant`, oldest first, at most `limit`. */
  changesAfter(tenant: string, revision: number, limit: number): Promise<ConfigChange[]>;
  /**
   * Whether `changesAfter(tenant, revision)` still holds every change after `revision`: false when
   * the log was trimmed past it (memory adapter) or `revision` is ahead of every write (a client
   * of another deployment, or of a store that was reset). A watch that cannot resume resyncs.
   */
  canResume(revision: number): Promise<boolean>;
  /** The highest revision written, 0 before any. */
  latestRevision(): Promise<number>;
  close(): Promise<void>;
}
