import type { JSONWebKeySet } from 'jose';

/**
 * A JWKS whose retired keys drop out when their grace period ends, for a copy of the key ring
 * held elsewhere (a gateway's view). Same rule as `KeyRing.jwks`.
 *
 * @example
 * ```ts
 * const keys = new ExpiringKeySet();
 * keys.set(jwks, { oldKid: Date.now() + 1_800_000 });
 * keys.current(); // the JWKS, without keys past their grace
 * ```
 */
export class ExpiringKeySet {
  #all: JSONWebKeySet = { keys: [] };
  #expiries: Record<string, number> = {};
  #current: JSONWebKeySet = { keys: [] };
  #nextExpiry = Number.POSITIVE_INFINITY;

  set(jwks: JSONWebKeySet, expiries: Record<string, number>): void {
    this.#all = jwks;
    this.#expiries = expiries;
    this.#rebuild(Date.now());
  }

  current(now = Date.now()): JSONWebKeySet {
    if (now >= this.#nextExpiry) this.#rebuild(now);
    return this.#current;
  }

  #rebuild(now: number): void {
    const live = this.#all.keys.filter((key) => {
      const until = key.kid === undefined ? undefined : this.#expiries[key.kid];
      return until === undefined || until > now;
    });
    this.#current = { keys: live };
    const ends = live.flatMap((key) => (key.kid && this.#expiries[key.kid] ? [this.#expiries[key.kid] as number] : []));
    this.#nextExpiry = Math.min(Number.POSITIVE_INFINITY, ...ends);
  }
}
