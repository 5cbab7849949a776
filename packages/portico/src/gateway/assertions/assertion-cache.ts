import { ASSERTION_ISSUER, type AssertionClaims, type AuthMethod } from '@portico/sdk';
import type { Principal } from '../../identity/model.js';

/** Settings of an {@link AssertionCache}. */
export interface AssertionCacheOptions {
  /** Lifetime of an assertion; default 60 s. */
  lifetimeSeconds?: number;
  /** An assertion with less time left than this is signed again; default 20 s. */
  renewBeforeSeconds?: number;
  /** Most assertions kept; the oldest goes first; default 10 000. */
  maxEntries?: number;
  /** The clock, in ms; tests move it. */
  now?: () => number;
}

interface Entry {
  readonly assertion: string;
  readonly renewAt: number;
  readonly principal: Principal;
}

/**
 * Signs the gateway's identity assertions and keeps them: one per (service, tenant, caller),
 * reused until it is close to expiry, so the hot path signs about once a minute per caller and
 * service instead of once per request. A cached assertion is used only while the principal's
 * claims (roles, permissions, scopes) are the ones it was signed with: a caller whose roles
 * changed gets a new one at once, not when the old one runs out.
 *
 * @example
 * ```ts
 * const cache = new AssertionCache(new AssertionSigner());
 * exchange.forward['x-portico-assertion'] = cache.assertionFor('orders', 'acme', principal, 'jwt');
 * ```
 */
export class AssertionCache {
  readonly #entries = new Map<string, Entry>();
  readonly #lifetimeSeconds: number;
  readonly #renewBeforeMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(
    private readonly signer: { sign(claims: object): string },
    options: AssertionCacheOptions = {},
  ) {
    this.#lifetimeSeconds = options.lifetimeSeconds ?? 60;
    this.#renewBeforeMs = (options.renewBeforeSeconds ?? 20) * 1000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The assertion for `principal` calling `service` in `tenant`: cached, or signed now. */
  assertionFor(service: string, tenant: string, principal: Principal, authMethod: AuthMethod): string {
    const key = `${service}\n${tenant}\n${authMethod}\n${principal.kind}\n${principal.subject}`;
    const now = this.#now();
    const cached = this.#entries.get(key);
    if (cached !== undefined && now < cached.renewAt && sameClaims(cached.principal, principal)) {
      return cached.assertion;
    }
    const iat = Math.floor(now / 1000);
    const exp = iat + this.#lifetimeSeconds;
    const claims: AssertionClaims = {
      iss: ASSERTION_ISSUER,
      aud: service,
      sub: principal.subject,
      kind: principal.kind,
      tid: tenant,
      ...(principal.tenant !== tenant ? { home_tid: principal.tenant } : {}),
      ...(principal.username !== undefined ? { username: principal.username } : {}),
      roles: principal.roles,
      permissions: principal.permissions,
      scopes: principal.scopes,
      auth_method: authMethod,
      iat,
      exp,
    };
    const assertion = this.signer.sign(claims);
    if (cached !== undefined) this.#entries.delete(key);
    else if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { assertion, renewAt: exp * 1000 - this.#renewBeforeMs, principal });
    return assertion;
  }
}

function sameClaims(a: Principal, b: Principal): boolean {
  return (
    a === b ||
    (a.tenant === b.tenant &&
      a.username === b.username &&
      sameList(a.roles, b.roles) &&
      sameList(a.permissions, b.permissions) &&
      sameList(a.scopes, b.scopes))
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
