import type { ServiceLogger } from '../serve.js';

/** How a service proves itself to the config center: an API key, or a bearer token (or a function that gives one). */
export type ConfigCredential = { apiKey: string } | { token: string | (() => string | Promise<string>) };

/** Options of {@link createConfigCenter}. */
export interface ConfigCenterOptions {
  /** This service's name: its entries are `config/{tenant}/{service}`. */
  service: string;
  /** Portico's admin URL; default `PORTICO_REGISTRY_URL` or `http://127.0.0.1:9080`. */
  url?: string;
  credential: ConfigCredential;
  /** Per-call time limit of `get`/`entry`; default 5 s. */
  timeoutMs?: number;
  logger?: ServiceLogger;
  /** First and longest wait before a dropped watch reconnects; default 100 ms and 5 s. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/** One tenant's configuration of this service, as of a revision. */
export interface ConfigSnapshot<T> {
  tenant: string;
  service: string;
  /** The revision of the entry's last write; 0 when it was never written. */
  revision: number;
  /** `{}` when the entry does not exist (never written, or deleted). */
  values: Partial<T>;
  /** True when the entry was deleted by this change. */
  deleted: boolean;
}

/** A live watch of one tenant's entry. */
export interface ConfigWatch {
  /** Resolves once the first snapshot was handed to the handler. */
  readonly ready: Promise<void>;
  /** True while the stream is open. */
  readonly connected: boolean;
  close(): void;
}

/**
 * The config center as a service sees it: its own entry of each tenant, typed by `T`.
 *
 * @example
 * ```ts
 * const config = createConfigCenter<{ theme: string; seats: number }>({ service: 'orders', credential: { apiKey } });
 * const seats = await config.get('acme', 'seats'); // number | undefined
 * config.watch('acme', (entry) => console.log(entry.revision, entry.values.theme));
 * ```
 */
export interface ConfigCenter<T extends Record<string, unknown>> {
  /** One key of the tenant's entry: from a watch's copy when one is open and ready, else one request. */
  get<K extends keyof T & string>(tenant: string, key: K): Promise<T[K] | undefined>;
  /** The whole entry (revision 0 and `{}` when none). */
  entry(tenant: string): Promise<ConfigSnapshot<T>>;
  /**
   * Calls `handler` with the current entry, then after every change; reconnects on its own and
   * resumes from the last revision it saw, so no change is missed across a drop or a restart.
   */
  watch(tenant: string, handler: (entry: ConfigSnapshot<T>) => void): ConfigWatch;
  /** Closes every watch. */
  close(): void;
}
