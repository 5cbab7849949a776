import { PorticoError } from '../errors.js';
import type { ConfigCenter, ConfigCenterOptions, ConfigSnapshot, ConfigWatch } from './config-center-types.js';
import { ConfigWatcher } from './config-watcher.js';

/**
 * A client of Portico's tenant config center (docs/config-center.md) for one service: reads its
 * entry of a tenant, and watches it live. `T` types the values.
 *
 * @example
 * ```ts
 * import { createConfigCenter } from '@portico/sdk';
 * const config = createConfigCenter<{ theme: string }>({ service: 'orders', credential: { apiKey: process.env.KEY! } });
 * const watch = config.watch('acme', (entry) => applyTheme(entry.values.theme));
 * await watch.ready;
 * ```
 */
export function createConfigCenter<T extends Record<string, unknown> = Record<string, unknown>>(
  options: ConfigCenterOptions,
): ConfigCenter<T> {
  const base = (options.url ?? process.env.PORTICO_REGISTRY_URL ?? 'http://127.0.0.1:9080').replace(/\/+$/, '');
  const logger = options.logger ?? console;
  const watchers = new Set<ConfigWatcher<T>>();
  const headers = async (): Promise<Record<string, string>> => {
    const { credential } = options;
    if ('apiKey' in credential) return { 'x-api-key': credential.apiKey };
    const token = typeof credential.token === 'function' ? await credential.token() : credential.token;
    return { authorization: `Bearer ${token}` };
  };
  const entryUrl = (tenant: string) =>
    `${base}/v1/config/${encodeURIComponent(tenant)}/${encodeURIComponent(options.service)}`;

  const entry = async (tenant: string): Promise<ConfigSnapshot<T>> => {
    let response: Response;
    try {
      response = await fetch(entryUrl(tenant), {
        headers: await headers(),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
    } catch (cause) {
      throw new PorticoError('SERVICE_UNAVAILABLE', `config center at ${base} is unreachable`, undefined, { cause });
    }
    const payload = (await response.json().catch(() => null)) as {
      success?: boolean;
      data?: { revision: number; values: Partial<T> };
      error?: { code?: string; details?: { service?: string } };
    } | null;
    // No entry yet is a value too: the service runs on its defaults. Only the entry's own 404
    // names the service in its details; a missing tenant's does not, and stays an error.
    if (
      response.status === 404 &&
      payload?.error?.code === 'NOT_FOUND' &&
      payload.error.details?.service === options.service
    )
      return { tenant, service: options.service, revision: 0, values: {}, deleted: false };
    if (!response.ok || payload?.success !== true || !payload.data)
      throw PorticoError.fromEnvelope(payload, response.status);
    return {
      tenant,
      service: options.service,
      revision: payload.data.revision,
      values: payload.data.values,
      deleted: false,
    };
  };

  return {
    async get(tenant, key) {
      for (const watcher of watchers) {
        const current = watcher.tenant === tenant ? watcher.current() : undefined;
        if (current) return current.values[key] as T[typeof key] | undefined;
      }
      return (await entry(tenant)).values[key] as T[typeof key] | undefined;
    },
    entry,
    watch(tenant, handler): ConfigWatch {
      const watcher = new ConfigWatcher<T>({
        url: `${base}/v1/config/${encodeURIComponent(tenant)}/_watch`,
        tenant,
        service: options.service,
        headers,
        handler,
        logger,
        reconnectMinMs: options.reconnectMinMs ?? 100,
        reconnectMaxMs: options.reconnectMaxMs ?? 5_000,
        onClose: () => watchers.delete(watcher),
      });
      watchers.add(watcher);
      watcher.start();
      return watcher;
    },
    close() {
      for (const watcher of [...watchers]) watcher.close();
    },
  };
}
