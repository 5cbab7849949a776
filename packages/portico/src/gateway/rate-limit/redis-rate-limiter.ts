import type { HealthStatus } from '@portico/sdk';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { openRedis } from '../../state/redis-connection.js';
import { SharedStateLog } from '../../state/shared-state-log.js';
import type { MemoryBucket, MemoryRateLimiter } from './memory-rate-limiter.js';
import { type Clock, decision, type RateLimitDecision, type RateLimitRule } from './rate-limit-rule.js';
import type { RateLimitBucket, RateLimiter } from './rate-limiter.js';
import { GCRA_SCRIPT, SLIDING_WINDOW_SCRIPT } from './redis-scripts.js';

/** Options of the Redis adapter. */
export interface RedisRateLimiterOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Longest wait for Redis's answer; past it the request is counted locally instead. */
  timeoutMs: number;
  /** Prepended to every key, so several deployments can share one Redis. */
  prefix: string;
  /** Counts while Redis is out of reach; owned (and closed) by this limiter. */
  local: MemoryRateLimiter;
  logger?: Logger;
  /** Tests only: give the scripts this clock's time instead of Redis's own (TIME). */
  clock?: Clock;
  /** After a failed or late command, how long to count locally before asking Redis again. */
  pauseMs?: number;
}

type ScriptReply = [number, number, number, number];
type Script = (key: string, limit: number, windowMs: number, burst: number, now: number | '') => Promise<ScriptReply>;
interface ScriptedRedis extends Redis {
  porticoGcra: Script;
  porticoSlidingWindow: Script;
}

/**
 * The Redis adapter: one atomic Lua script per request (one round trip), so every gateway sharing
 * the Redis enforces one limit. While Redis is unreachable, slow or failing, requests are counted
 * by a local memory limiter instead (each gateway then enforces the limit on its own), `/health`
 * says `degraded`, and the client reconnects in the background. Commands never queue while
 * disconnected and time out after `timeoutMs`, so an outage never holds a request up.
 *
 * @example
 * ```ts
 * const limiter = new RedisRateLimiter({
 *   url: 'redis://127.0.0.1:6379', timeoutMs: 100, prefix: 'portico:rl:', local: new MemoryRateLimiter(),
 * });
 * const decision = await limiter.bucket('hello:ip:gcra', rule).hit('203.0.113.9');
 * ```
 */
export class RedisRateLimiter implements RateLimiter {
  readonly store = 'redis';
  readonly #client: ScriptedRedis;
  readonly #local: MemoryRateLimiter;
  readonly #prefix: string;
  readonly #clock: Clock | undefined;
  readonly #pauseMs: number;
  #pausedUntil = 0;
  readonly #sharing: SharedStateLog;

  constructor(options: RedisRateLimiterOptions) {
    this.#local = options.local;
    this.#prefix = options.prefix;
    this.#clock = options.clock;
    this.#pauseMs = options.pauseMs ?? 1_000;
    this.#sharing = new SharedStateLog(options.url, options.logger, {
      lost: 'rate limits: Redis is out of reach; each gateway limits on its own until it is back',
      back: 'rate limits: Redis is back; limits are shared again',
    });
    this.#client = openRedis({ url: options.url, timeoutMs: options.timeoutMs }) as ScriptedRedis;
    this.#client.defineCommand('porticoGcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
    this.#client.defineCommand('porticoSlidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW_SCRIPT });
    this.#sharing.follow(this.#client);
  }

  bucket(name: string, rule: RateLimitRule): RateLimitBucket {
    return new RedisBucket(this, `${this.#prefix}${name}:`, rule, this.#local.bucket(name, rule));
  }

  /** True while requests go to Redis: connected, and not pausing after a failure. */
  available(): boolean {
    return this.#client.status === 'ready' && (this.#pausedUntil === 0 || this.#resume());
  }

  health(): HealthStatus {
    return this.available() ? 'healthy' : 'degraded';
  }

  /** Runs the rule's script for one key; rejects on a timeout or any Redis error. */
  run(key: string, rule: RateLimitRule): Promise<ScriptReply> {
    const now = this.#clock ? this.#clock() : '';
    return rule.algorithm === 'gcra'
      ? this.#client.porticoGcra(key, rule.limit, rule.windowMs, rule.burst, now)
      : this.#client.porticoSlidingWindow(key, rule.limit, rule.windowMs, rule.burst, now);
  }

  /** A command failed or was late: count locally for a moment rather than make every request wait. */
  failed(error: unknown): void {
    this.#pausedUntil = Date.now() + this.#pauseMs;
    this.#sharing.report(false, error);
  }

  succeeded(): void {
    this.#sharing.report(true);
  }

  async close(): Promise<void> {
    this.#client.removeAllListeners('close');
    this.#client.disconnect();
    await this.#local.close();
  }

  #resume(): boolean {
    if (Date.now() < this.#pausedUntil) return false;
    this.#pausedUntil = 0;
    return true;
  }
}

/** One rule's counters in Redis, with the memory bucket that stands in for it during an outage. */
class RedisBucket implements RateLimitBucket {
  constructor(
    private readonly owner: RedisRateLimiter,
    private readonly keyPrefix: string,
    readonly rule: RateLimitRule,
    private readonly local: MemoryBucket,
  ) {}

  hit(key: string): RateLimitDecision | Promise<RateLimitDecision> {
    // Out of reach: answer at once from memory, no promise, no waiting on a timeout.
    if (!this.owner.available()) return this.local.hit(key);
    return this.owner.run(this.keyPrefix + key, this.rule).then(
      (reply) => {
        this.owner.succeeded();
        return decision(reply[0] === 1, reply[1], reply[2], reply[3]);
      },
      (error: unknown) => {
        this.owner.failed(error);
        // The memory bucket reuses its answer object, and other requests may run before this one
        // is read: copy it.
        const local = this.local.hit(key);
        return decision(local.allowed, local.remaining, local.resetMs, local.retryAfterMs);
      },
    );
  }
}
