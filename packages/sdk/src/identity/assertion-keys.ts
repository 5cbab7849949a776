import { createPublicKey, type KeyObject } from 'node:crypto';
import { PorticoError } from '../errors.js';

/** Settings of an {@link AssertionKeys}. */
export interface AssertionKeysOptions {
  /** Shortest time between two fetches prompted by unknown key ids; default 1 s. */
  cooldownMs?: number;
  /** Age after which the keys are fetched again in the background; default 5 min. */
  maxAgeMs?: number;
  /** Time limit of one fetch; default 5 s. */
  timeoutMs?: number;
}

/**
 * The gateways' public keys, fetched from the registry's JWKS. A key id it does not know makes
 * it fetch again (a gateway restarted with a new key), at most once per cooldown so a stream of
 * forged ids cannot turn into a stream of fetches. An unknown id inside the cooldown waits for
 * the fetch that ends it rather than being refused: a gateway that restarts moments after the
 * last fetch must not have its first requests turned away. Keys are refreshed in the background
 * once old, and kept when the registry is away (last-known-good, DESIGN principle 5).
 *
 * @example
 * ```ts
 * const keys = new AssertionKeys('http://127.0.0.1:9080/v1/registry/assertion-keys');
 * const key = await keys.key('x1Yb…'); // a KeyObject, or undefined when no gateway has that key
 * ```
 */
export class AssertionKeys {
  #keys = new Map<string, KeyObject>();
  #fetchedAt = 0;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #fetching: Promise<boolean> | undefined;
  #deferred: Promise<boolean> | undefined;
  readonly #cooldownMs: number;
  readonly #maxAgeMs: number;
  readonly #timeoutMs: number;

  constructor(
    readonly url: string,
    options: AssertionKeysOptions = {},
  ) {
    this.#cooldownMs = options.cooldownMs ?? 1_000;
    this.#maxAgeMs = options.maxAgeMs ?? 300_000;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** Fetches now, without waiting for the answer: so the first request finds the keys there. */
  prefetch(): void {
    void this.#refresh();
  }

  /**
   * The key with id `kid`; `undefined` when the registry does not list it. Rejects with
   * `SERVICE_UNAVAILABLE` when the key is unknown and the registry cannot be asked.
   */
  async key(kid: string): Promise<KeyObject | undefined> {
    const known = this.#keys.get(kid);
    const now = Date.now();
    if (known !== undefined) {
      if (now - this.#fetchedAt > this.#maxAgeMs) void this.#refresh();
      return known;
    }
    const wait = this.#attemptedAt + this.#cooldownMs - now;
    const fetched = this.#fetching ?? (wait > 0 ? this.#refreshAfter(wait) : this.#refresh());
    if (!(await fetched)) {
      throw new PorticoError('SERVICE_UNAVAILABLE', "cannot fetch the gateways' assertion keys from the registry");
    }
    return this.#keys.get(kid);
  }

  /** One fetch when the cooldown ends, shared by every unknown id that arrives before it. */
  #refreshAfter(ms: number): Promise<boolean> {
    this.#deferred ??= new Promise<void>((resolve) => setTimeout(resolve, ms).unref())
      .then(() => this.#refresh())
      .finally(() => {
        this.#deferred = undefined;
      });
    return this.#deferred;
  }

  #refresh(): Promise<boolean> {
    this.#fetching ??= this.#fetch().finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  async #fetch(): Promise<boolean> {
    this.#attemptedAt = Date.now();
    try {
      const response = await fetch(this.url, { signal: AbortSignal.timeout(this.#timeoutMs) });
      if (!response.ok) return false;
      const body = (await response.json()) as { keys?: unknown };
      if (!Array.isArray(body.keys)) return false;
      const keys = new Map<string, KeyObject>();
      for (const jwk of body.keys as Record<string, unknown>[]) {
        // Only what a gateway publishes: an Ed25519 public key with an id.
        if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.kid !== 'string' || 'd' in jwk) continue;
        try {
          keys.set(
            jwk.kid,
            createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string }, format: 'jwk' }),
          );
        } catch {
          // A malformed key is skipped; the others still verify.
        }
      }
      this.#keys = keys;
      this.#fetchedAt = Date.now();
      return true;
    } catch {
      return false;
    }
  }
}
