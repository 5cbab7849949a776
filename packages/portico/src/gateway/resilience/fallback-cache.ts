import type { IncomingHttpHeaders } from 'node:http';
import type { HealthStatus } from '@portico/sdk';
import type { FallbackStore, ServiceFallback } from './fallback-store.js';

/** Settings of a service's fallback cache. */
export interface FallbackSettings {
  enabled: boolean;
  maxEntryBytes: number;
  maxTotalBytes: number;
  maxStaleSeconds: number;
}

/** A response kept to be served when the service cannot answer. */
export interface CachedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  storedAt: number;
}

/**
 * Stale-if-error for one service: the last good answer to each GET, bounded in bytes, least
 * recently stored dropped first. Only consulted when every try failed or the breaker is open.
 *
 * @example
 * ```ts
 * const cache = new FallbackCache({ enabled: true, maxEntryBytes: 1024, maxTotalBytes: 65_536, maxStaleSeconds: 60 });
 * cache.store('/api/orders/1', { status: 200, headers: {}, body: Buffer.from('{}'), storedAt: Date.now() });
 * ```
 */
export class FallbackCache implements ServiceFallback {
  private readonly entries = new Map<string, CachedResponse>();
  private bytes = 0;

  constructor(readonly settings: FallbackSettings) {}

  store(key: string, response: CachedResponse): void {
    const size = response.body.length;
    if (size > this.settings.maxEntryBytes || size > this.settings.maxTotalBytes) return;
    this.delete(key);
    this.entries.set(key, response);
    this.bytes += size;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.settings.maxTotalBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.body.length;
    }
  }

  /** The entry for `key` if it is not older than `maxStaleSeconds`. */
  lookup(key: string, now: number): CachedResponse | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now - entry.storedAt > this.settings.maxStaleSeconds * 1000) {
      this.delete(key);
      return undefined;
    }
    return entry;
  }

  get size(): number {
    return this.entries.size;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.body.length;
  }
}

/**
 * The memory adapter: each gateway keeps its own answers.
 *
 * @example
 * ```ts
 * const table = new RoutingTable(balancers, policyFor, compile, metricsFor, new MemoryFallbackStore());
 * ```
 */
export class MemoryFallbackStore implements FallbackStore {
  readonly store = 'memory';
  forService(_service: string, settings: FallbackSettings): ServiceFallback {
    return new FallbackCache(settings);
  }
  health(): HealthStatus {
    return 'healthy';
  }
  async close(): Promise<void> {}
}

/**
 * Whether an answer may be kept for others: only GETs without credentials (unless the service
 * marked the answer public), only 200s, and never what the service said not to store.
 */
export function isCacheable(
  method: string,
  requestHeaders: IncomingHttpHeaders,
  status: number,
  responseHeaders: IncomingHttpHeaders,
): boolean {
  if (method !== 'GET' || status !== 200) return false;
  const control = String(responseHeaders['cache-control'] ?? '').toLowerCase();
  if (control.includes('no-store') || control.includes('private')) return false;
  if (responseHeaders['set-cookie'] !== undefined) return false;
  const credentials =
    requestHeaders.authorization !== undefined ||
    requestHeaders.cookie !== undefined ||
    requestHeaders['x-api-key'] !== undefined;
  return !credentials || control.includes('public');
}
