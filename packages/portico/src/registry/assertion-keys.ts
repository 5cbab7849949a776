import type { PublishedJwk } from './registry-port.js';

interface Held {
  jwk: PublishedJwk;
  expiresAt: number;
}

/**
 * The registry's set of gateway assertion keys, each with a lease: renewed by its gateway,
 * dropped once it runs out. Bounded, so a misbehaving publisher cannot grow it without limit.
 *
 * @example
 * ```ts
 * const keys = new AssertionKeySet();
 * keys.publish(jwk, 90);
 * keys.current(); // [jwk] for the next 90 s
 * ```
 */
export class AssertionKeySet {
  readonly #held = new Map<string, Held>();

  constructor(
    private readonly maxKeys = 256,
    private readonly now: () => number = Date.now,
  ) {}

  /** Publishes or renews; throws `RangeError` when the set is full of live keys. */
  publish(jwk: PublishedJwk, ttlSeconds: number): void {
    const now = this.now();
    this.#prune(now);
    if (!this.#held.has(jwk.kid) && this.#held.size >= this.maxKeys) {
      throw new RangeError(`the registry already holds ${this.maxKeys} assertion keys`);
    }
    this.#held.set(jwk.kid, { jwk, expiresAt: now + ttlSeconds * 1000 });
  }

  /** The keys whose lease runs. */
  current(): PublishedJwk[] {
    this.#prune(this.now());
    return [...this.#held.values()].map((held) => held.jwk);
  }

  #prune(now: number): void {
    for (const [kid, held] of this.#held) if (held.expiresAt <= now) this.#held.delete(kid);
  }
}
