import type { HealthCheck, HealthStatus } from '@portico/sdk';
import { sql } from 'kysely';
import type { Store } from '../store/store.js';

/** Settings of the store's health check. */
export interface StoreCheckOptions {
  /** A `select 1` slower than this counts as a failure. */
  timeoutMs?: number;
  /** How long one answer is reused: probes every second from several orchestrators cost one query. */
  cacheMs?: number;
  /** What a failed query reports. */
  failing?: HealthStatus;
}

/**
 * The store's `/health` dependency: a `select 1` with a timeout, its answer kept briefly and
 * shared by concurrent probes. Only `/health` runs it, never a request: the hot path needs no
 * store (DESIGN principle 3). A failing store reports `degraded` by default, because the gateway
 * keeps routing and verifying tokens without it; sign-in and the admin API are what fail.
 *
 * @example
 * ```ts
 * health.addCheck('store', storeCheck(store));
 * ```
 */
export function storeCheck(store: Pick<Store, 'db'>, options: StoreCheckOptions = {}): HealthCheck {
  const { timeoutMs = 1_000, cacheMs = 2_000, failing = 'degraded' } = options;
  let last: { at: number; status: HealthStatus } | undefined;
  let pending: Promise<HealthStatus> | undefined;
  return () => {
    if (last && Date.now() - last.at < cacheMs) return last.status;
    pending ??= ping(store, timeoutMs, failing).then((status) => {
      last = { at: Date.now(), status };
      pending = undefined;
      return status;
    });
    return pending;
  };
}

async function ping(store: Pick<Store, 'db'>, timeoutMs: number, failing: HealthStatus): Promise<HealthStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HealthStatus>((resolve) => {
    timer = setTimeout(() => resolve(failing), timeoutMs);
  });
  try {
    const query = sql`select 1`.execute(store.db).then((): HealthStatus => 'healthy');
    return await Promise.race([query, timeout]);
  } catch {
    return failing;
  } finally {
    clearTimeout(timer);
  }
}
