import { randomUUID } from 'node:crypto';
import type { HealthStatus } from '@portico/sdk';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { openRedis } from '../../state/redis-connection.js';
import { SharedStateLog } from '../../state/shared-state-log.js';
import type { LoginThrottlePort, ThrottleDecision, ThrottleOptions } from './login-throttle-port.js';
import type { MemoryLoginThrottle } from './memory-login-throttle.js';
import { BEGIN_SCRIPT, SETTLE_SCRIPT } from './redis-throttle-scripts.js';

/** Options of the Redis adapter. */
export interface RedisLoginThrottleOptions extends ThrottleOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Longest wait for Redis's answer; past it the attempt is counted locally instead. */
  timeoutMs: number;
  /** Prepended to every key, so several deployments can share one Redis. */
  prefix: string;
  /** Counts while Redis is out of reach; owned (and closed) by this throttle. */
  local: MemoryLoginThrottle;
  logger?: Logger;
  /** Tests only: give the scripts this clock's time instead of Redis's own (TIME). */
  clock?: () => number;
}

/** How long an attempt whose process died before it settled still counts as pending. */
const PENDING_TTL_MS = 60_000;

type Begin = (a: string, b: string, c: string, d: string, ...argv: (string | number)[]) => Promise<number>;
interface ScriptedRedis extends Redis {
  porticoThrottleBegin: Begin;
  porticoThrottleSettle: Begin;
}

/**
 * The Redis adapter: one atomic script when an attempt begins and one when it settles, so a
 * password guessed against one identity process counts on all of them. While Redis is out of
 * reach, attempts are counted by a local memory throttle instead: each process then locks on its
 * own (an attacker gets at most `limit` guesses per process, not unlimited ones), `/health` says
 * `degraded`, and no login waits on the outage or fails with a 500. docs/identity.md explains why
 * this neither fails open nor locks everyone out.
 *
 * @example
 * ```ts
 * const throttle = new RedisLoginThrottle({
 *   ...DEFAULT_IDENTITY_OPTIONS.throttle, url: 'redis://127.0.0.1:6379', timeoutMs: 500,
 *   prefix: 'portico:lt:', local: new MemoryLoginThrottle(DEFAULT_IDENTITY_OPTIONS.throttle),
 * });
 * const decision = await throttle.begin('acme/alice', '203.0.113.9');
 * ```
 */
export class RedisLoginThrottle implements LoginThrottlePort {
  readonly store = 'redis';
  readonly #client: ScriptedRedis;
  readonly #options: RedisLoginThrottleOptions;
  readonly #sharing: SharedStateLog;

  constructor(options: RedisLoginThrottleOptions) {
    this.#options = options;
    this.#sharing = new SharedStateLog(options.url, options.logger, {
      lost: 'login throttle: Redis is out of reach; each identity process counts failed logins on its own until it is back',
      back: 'login throttle: Redis is back; failed logins are counted together again',
    });
    this.#client = openRedis({ url: options.url, timeoutMs: options.timeoutMs }) as ScriptedRedis;
    this.#client.defineCommand('porticoThrottleBegin', { numberOfKeys: 4, lua: BEGIN_SCRIPT });
    this.#client.defineCommand('porticoThrottleSettle', { numberOfKeys: 4, lua: SETTLE_SCRIPT });
    this.#sharing.follow(this.#client);
  }

  async begin(identifier: string, ip: string): Promise<ThrottleDecision> {
    if (this.#client.status !== 'ready') return this.#options.local.beginNow(identifier, ip);
    const o = this.#options;
    const keys = [
      `${o.prefix}id:${identifier}`,
      `${o.prefix}id:${identifier}:p`,
      `${o.prefix}ip:${ip}`,
      `${o.prefix}ip:${ip}:p`,
    ] as const;
    const attempt = randomUUID();
    let wait: number;
    try {
      wait = await this.#client.porticoThrottleBegin(
        ...keys,
        o.maxFailuresPerIdentifier,
        o.maxFailuresPerIp,
        attempt,
        PENDING_TTL_MS,
        this.#now(),
      );
      this.#sharing.report(true);
    } catch (error) {
      this.#sharing.report(false, error);
      return o.local.beginNow(identifier, ip);
    }
    if (wait > 0) return { allowed: false, retryAfterSeconds: Math.ceil(wait / 1000) };
    let settled = false;
    const settle = async (outcome: 'ok' | 'fail') => {
      if (settled) return;
      settled = true;
      try {
        await this.#client.porticoThrottleSettle(
          ...keys,
          outcome,
          attempt,
          o.maxFailuresPerIdentifier,
          o.maxFailuresPerIp,
          o.windowSeconds * 1000,
          o.lockoutSeconds * 1000,
          this.#now(),
        );
      } catch (error) {
        // Counted in Redis, not settled there: the attempt stays pending until PENDING_TTL_MS.
        // A failure is also counted here, so this process still locks on its own.
        this.#sharing.report(false, error);
        if (outcome === 'fail') await this.#countLocally(identifier, ip);
      }
    };
    return { allowed: true, succeeded: () => settle('ok'), failed: () => settle('fail') };
  }

  health(): HealthStatus {
    return this.#client.status === 'ready' && this.#sharing.shared !== false ? 'healthy' : 'degraded';
  }

  async close(): Promise<void> {
    this.#client.removeAllListeners('close');
    this.#client.disconnect();
    await this.#options.local.close();
  }

  async #countLocally(identifier: string, ip: string): Promise<void> {
    const local = this.#options.local.beginNow(identifier, ip);
    if (local.allowed) await local.failed();
  }

  #now(): number | '' {
    return this.#options.clock ? this.#options.clock() : '';
  }
}
