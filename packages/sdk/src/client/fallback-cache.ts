/** A good answer kept to be served, marked stale, when the service fails. */
export interface CachedAnswer {
  data: unknown;
  status: number;
  headers: Headers;
  storedAt: number;
}

/**
 * Stale-if-error cache of GET answers, in memory, bounded in entries and age. The key carries
 * every request header the caller set (not the tracing ones), so an answer given to one tenant
 * or one credential is never served to another.
 *
 * @example
 * ```ts
 * const cache = new FallbackCache({ maxEntries: 500, maxAgeMs: 300_000 });
 * const key = FallbackCache.key('/orders/42', headers);
 * cache.store(key, answer);
 * const stale = cache.lookup(key);
 * ```
 */
export class FallbackCache {
  private readonly entries = new Map<string, CachedAnswer>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;

  constructor(options: { maxEntries?: number; maxAgeMs?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 500;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
  }

  /** Headers that differ on every call and say nothing about the answer. */
  private static readonly IGNORED = new Set(['x-request-id', 'traceparent', 'tracestate', 'x-portico-attempt']);

  /** The cache key of a GET: its path with query and the headers that may change the answer. */
  static key(pathWithQuery: string, headers: Record<string, string>): string {
    const varying = Object.entries(headers)
      .map(([name, value]) => [name.toLowerCase(), value] as const)
      .filter(([name]) => !FallbackCache.IGNORED.has(name))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return JSON.stringify([pathWithQuery, varying]);
  }

  get size(): number {
    return this.entries.size;
  }

  store(key: string, answer: Omit<CachedAnswer, 'storedAt'>, now = Date.now()): void {
    // Re-inserting moves the key to the end: the first key is always the oldest stored.
    this.entries.delete(key);
    this.entries.set(key, { ...answer, storedAt: now });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  /** The kept answer, if it is not older than `maxAgeMs`. */
  lookup(key: string, now = Date.now()): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (now - entry.storedAt > this.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
