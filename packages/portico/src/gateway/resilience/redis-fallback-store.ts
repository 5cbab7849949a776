import type { HealthStatus } from '@portico/sdk';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { openRedis } from '../../state/redis-connection.js';
import { SharedStateLog } from '../../state/shared-state-log.js';
import { type CachedResponse, FallbackCache, type FallbackSettings } from './fallback-cache.js';
import { decodeFallback, encodeFallback } from './fallback-codec.js';
import type { FallbackStore, ServiceFallback } from './fallback-store.js';

/** Options of the Redis adapter. */
export interface RedisFallbackStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Longest wait for a lookup's answer; past it the gateway answers with its error envelope. */
  timeoutMs: number;
  /** Prepended to every key, so several deployments can share one Redis. */
  prefix: string;
  /** How often kept answers are written to Redis. */
  flushMs: number;
  logger?: Logger;
}

/** Answers waiting for the next flush, at most; past it new keys wait for the one after. */
const MAX_PENDING = 10_000;

/**
 * The Redis adapter: each gateway keeps its answers in memory, as the memory adapter does, and
 * writes them behind to Redis, once per `flushMs` in one pipeline, the last answer of each key
 * only. A request never waits on Redis and causes no command of its own: the success path adds
 * one map entry. When every try failed and this gateway has no answer of its own, it asks Redis
 * (the failure path only), so an answer kept by any gateway can serve on all of them. While
 * Redis is out of reach, each gateway serves what it kept itself and `/health` says `degraded`.
 *
 * @example
 * ```ts
 * const fallbacks = new RedisFallbackStore({ url: 'redis://127.0.0.1:6379', timeoutMs: 200, prefix: 'portico:fb:', flushMs: 1000 });
 * const cache = fallbacks.forService('orders', policy.fallback);
 * ```
 */
export class RedisFallbackStore implements FallbackStore {
  readonly store = 'redis';
  readonly #client: Redis;
  readonly #options: RedisFallbackStoreOptions;
  readonly #timer: NodeJS.Timeout;
  #pending = new Map<string, CachedResponse>();
  #flushing = false;
  readonly #sharing: SharedStateLog;

  constructor(options: RedisFallbackStoreOptions) {
    this.#options = options;
    this.#sharing = new SharedStateLog(options.url, options.logger, {
      lost: 'fallback cache: Redis is out of reach; each gateway serves only the answers it kept itself until it is back',
      back: 'fallback cache: Redis is back; answers are shared again',
    });
    this.#client = openRedis({ url: options.url, timeoutMs: options.timeoutMs });
    this.#sharing.follow(this.#client);
    this.#timer = setInterval(() => void this.flush(), options.flushMs).unref();
  }

  forService(service: string, settings: FallbackSettings): ServiceFallback {
    return new RedisServiceFallback(this, `${this.#options.prefix}${service}:`, new FallbackCache(settings));
  }

  /** Keeps `response` for the next flush, replacing an earlier answer of the same key. */
  keep(key: string, response: CachedResponse): void {
    if (this.#pending.size >= MAX_PENDING && !this.#pending.has(key)) return;
    this.#pending.set(key, response);
  }

  /** The answer another gateway kept, or undefined at once while Redis is out of reach. */
  fetch(key: string): Promise<CachedResponse | undefined> | undefined {
    if (this.#client.status !== 'ready') return undefined;
    return this.#client.getBuffer(key).then(decodeFallback, (error: unknown) => {
      this.#sharing.report(false, error);
      return undefined;
    });
  }

  /** Writes the answers kept since the last flush; the timer calls it, tests may too. */
  async flush(): Promise<void> {
    if (this.#flushing || this.#pending.size === 0 || this.#client.status !== 'ready') return;
    this.#flushing = true;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      const pipeline = this.#client.pipeline();
      const now = Date.now();
      for (const [key, response] of batch) {
        const ttlMs = (response as KeptResponse).maxStaleMs - (now - response.storedAt);
        if (ttlMs > 0) pipeline.set(key, encodeFallback(response), 'PX', ttlMs);
      }
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) this.#sharing.report(false, failed[0]);
      else this.#sharing.report(true);
    } catch (error) {
      this.#sharing.report(false, error);
    } finally {
      this.#flushing = false;
    }
  }

  health(): HealthStatus {
    return this.#client.status === 'ready' && this.#sharing.shared !== false ? 'healthy' : 'degraded';
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
    this.#client.removeAllListeners('close');
    this.#client.disconnect();
  }
}

/** A kept answer with the staleness limit of its service, for the key's expiry in Redis. */
interface KeptResponse extends CachedResponse {
  maxStaleMs: number;
}

/** One service's answers: this gateway's memory first, Redis behind it. */
class RedisServiceFallback implements ServiceFallback {
  constructor(
    private readonly owner: RedisFallbackStore,
    private readonly keyPrefix: string,
    private readonly local: FallbackCache,
  ) {}

  get settings(): FallbackSettings {
    return this.local.settings;
  }

  get size(): number {
    return this.local.size;
  }

  store(key: string, response: CachedResponse): void {
    this.local.store(key, response);
    // The same limits as in memory: an answer too big to keep here is not shared either.
    if (response.body.length > this.local.settings.maxEntryBytes) return;
    const kept: KeptResponse = { ...response, maxStaleMs: this.local.settings.maxStaleSeconds * 1000 };
    this.owner.keep(this.keyPrefix + key, kept);
  }

  lookup(key: string, now: number): CachedResponse | undefined | Promise<CachedResponse | undefined> {
    const own = this.local.lookup(key, now);
    if (own) return own;
    const found = this.owner.fetch(this.keyPrefix + key);
    if (!found) return undefined;
    return found.then((response) => {
      if (!response || Date.now() - response.storedAt > this.local.settings.maxStaleSeconds * 1000) return undefined;
      // Kept here too, so the next failing request is answered from memory.
      this.local.store(key, response);
      return response;
    });
  }
}
