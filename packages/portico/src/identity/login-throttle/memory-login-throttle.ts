import type { HealthStatus } from '@portico/sdk';
import type { LoginThrottlePort, ThrottleDecision, ThrottleOptions } from './login-throttle-port.js';

interface Counter {
  failures: number;
  /** Attempts still being verified; counted as failures until they succeed. */
  pending: number;
  resetAt: number;
  lockedUntil: number;
}

/**
 * Counts failed logins per identifier and per IP and locks either one for a while past its limit.
 * An attempt is counted before its password is checked, and only given back when it succeeds:
 * a burst of parallel attempts cannot slip through while the first ones are still hashing.
 * This process only; the Redis adapter shares the counters between identity processes, and
 * stands in with one of these while Redis is out of reach. `beginNow` answers synchronously.
 *
 * @example
 * ```ts
 * const throttle = new MemoryLoginThrottle(DEFAULT_IDENTITY_OPTIONS.throttle);
 * const decision = await throttle.begin('acme/alice', '203.0.113.9');
 * if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
 * (await check()) ? await decision.succeeded() : await decision.failed();
 * ```
 */
export class MemoryLoginThrottle implements LoginThrottlePort {
  readonly store = 'memory';
  readonly #options: ThrottleOptions;
  readonly #counters = new Map<string, Counter>();
  readonly #sweep: NodeJS.Timeout;

  constructor(options: ThrottleOptions) {
    this.#options = options;
    // Forget idle counters so a spray of random usernames cannot grow the map without bound.
    this.#sweep = setInterval(() => this.#prune(Date.now()), 60_000).unref();
  }

  begin(identifier: string, ip: string): Promise<ThrottleDecision> {
    return Promise.resolve(this.beginNow(identifier, ip));
  }

  health(): HealthStatus {
    return 'healthy';
  }

  /** `begin`, answered at once. */
  beginNow(identifier: string, ip: string): ThrottleDecision {
    const now = Date.now();
    const byId = this.#counter(`id:${identifier}`, now);
    const byIp = this.#counter(`ip:${ip}`, now);
    const wait = Math.max(
      this.#blockedFor(byId, this.#options.maxFailuresPerIdentifier, now),
      this.#blockedFor(byIp, this.#options.maxFailuresPerIp, now),
    );
    if (wait > 0) return { allowed: false, retryAfterSeconds: Math.ceil(wait / 1000) };
    byId.pending++;
    byIp.pending++;
    let settled = false;
    return {
      allowed: true,
      succeeded: async () => {
        if (settled) return;
        settled = true;
        byIp.pending--;
        byId.pending--;
        byId.failures = 0;
      },
      failed: async () => {
        if (settled) return;
        settled = true;
        for (const [counter, max] of [
          [byId, this.#options.maxFailuresPerIdentifier],
          [byIp, this.#options.maxFailuresPerIp],
        ] as const) {
          counter.pending--;
          counter.failures++;
          if (counter.failures >= max) counter.lockedUntil = Date.now() + this.#options.lockoutSeconds * 1000;
        }
      },
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
  }

  #counter(key: string, now: number): Counter {
    let counter = this.#counters.get(key);
    if (!counter || (counter.resetAt <= now && counter.lockedUntil <= now && counter.pending === 0)) {
      counter = { failures: 0, pending: 0, resetAt: now + this.#options.windowSeconds * 1000, lockedUntil: 0 };
      this.#counters.set(key, counter);
    }
    return counter;
  }

  #blockedFor(counter: Counter, max: number, now: number): number {
    if (counter.lockedUntil > now) return counter.lockedUntil - now;
    // Pending attempts count: if they all fail, the limit is reached. They settle within a
    // password hash, so the caller may try again in a second.
    if (counter.failures + counter.pending >= max) return 1000;
    return 0;
  }

  #prune(now: number): void {
    for (const [key, counter] of this.#counters) {
      if (counter.resetAt <= now && counter.lockedUntil <= now && counter.pending === 0) this.#counters.delete(key);
    }
  }
}
