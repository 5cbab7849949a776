import { errors, jwtVerify } from 'jose';
import { PorticoError } from '../errors.js';
import { ASSERTION_ISSUER, ASSERTION_TYPE, type AssertionClaims } from './assertion-contract.js';
import type { AssertionKeys } from './assertion-keys.js';
import { type Caller, callerFromClaims } from './caller.js';

/** Settings of an {@link AssertionVerifier}. */
export interface AssertionVerifierOptions {
  /** Verified assertions kept so a repeated one costs a map lookup; default 10 000. */
  maxEntries?: number;
  /** Clock skew allowed between gateway and service; default 5 s. */
  clockToleranceSeconds?: number;
}

/** Longer than any assertion the gateway makes; refused before any parsing. */
const MAX_ASSERTION_LENGTH = 8192;
const KID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Verifies the gateway's identity assertions for one service: EdDSA only, `typ`
 * `portico-assertion+jwt`, `iss`, `aud` = this service, `exp` (with a little clock tolerance),
 * signed by a key the registry lists. The gateway reuses an assertion for many requests, so
 * verified ones are cached by their exact string until they expire: a repeated assertion is
 * answered synchronously, without crypto.
 *
 * @example
 * ```ts
 * const verifier = new AssertionVerifier('orders', new AssertionKeys(`${registry}/v1/registry/assertion-keys`));
 * const caller = await verifier.verify(String(req.headers['x-portico-assertion'])); // throws AUTHENTICATION_ERROR
 * ```
 */
export class AssertionVerifier {
  readonly #verified = new Map<string, Caller>();
  readonly #maxEntries: number;
  readonly #toleranceMs: number;

  constructor(
    readonly service: string,
    private readonly keys: AssertionKeys,
    options: AssertionVerifierOptions = {},
  ) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#toleranceMs = (options.clockToleranceSeconds ?? 5) * 1000;
  }

  /** The caller the assertion names; a `Caller` at once when seen before, else a promise. */
  verify(assertion: string): Caller | Promise<Caller> {
    const cached = this.#verified.get(assertion);
    if (cached !== undefined) {
      if (cached.expiresAt + this.#toleranceMs > Date.now()) return cached;
      this.#verified.delete(assertion);
    }
    if (assertion.length > MAX_ASSERTION_LENGTH) return Promise.reject(invalid());
    return this.#verifySlow(assertion);
  }

  async #verifySlow(assertion: string): Promise<Caller> {
    let claims: AssertionClaims;
    try {
      const { payload } = await jwtVerify<AssertionClaims>(
        assertion,
        async (header) => {
          if (header.alg !== 'EdDSA' || typeof header.kid !== 'string' || !KID.test(header.kid)) throw invalid();
          const key = await this.keys.key(header.kid);
          if (key === undefined) throw invalid();
          return key;
        },
        {
          algorithms: ['EdDSA'],
          typ: ASSERTION_TYPE,
          issuer: ASSERTION_ISSUER,
          audience: this.service,
          clockTolerance: this.#toleranceMs / 1000,
          // The gateway's assertions live a minute; anything much older was not made to be used now.
          maxTokenAge: 300,
          requiredClaims: ['sub', 'exp', 'iat'],
        },
      );
      claims = payload;
    } catch (error) {
      if (error instanceof PorticoError) throw error;
      if (error instanceof errors.JOSEError || error instanceof TypeError) throw invalid();
      throw error;
    }
    if (!wellFormed(claims)) throw invalid();
    const caller = callerFromClaims(claims);
    if (this.#verified.size >= this.#maxEntries) {
      // Oldest first: the gateway renews assertions, so old entries are the least likely to come back.
      const oldest = this.#verified.keys().next();
      if (!oldest.done) this.#verified.delete(oldest.value);
    }
    this.#verified.set(assertion, caller);
    return caller;
  }
}

function invalid(): PorticoError {
  return new PorticoError('AUTHENTICATION_ERROR', "the gateway's identity assertion is invalid or expired");
}

const strings = (value: unknown): boolean => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** The signature proves who made the claims, not that they have the shape a `Caller` needs. */
function wellFormed(claims: AssertionClaims): boolean {
  return (
    typeof claims.sub === 'string' &&
    typeof claims.tid === 'string' &&
    (claims.kind === 'user' || claims.kind === 'client' || claims.kind === 'api-key') &&
    (claims.auth_method === 'jwt' || claims.auth_method === 'api-key') &&
    (claims.home_tid === undefined || typeof claims.home_tid === 'string') &&
    (claims.username === undefined || typeof claims.username === 'string') &&
    strings(claims.roles) &&
    strings(claims.permissions) &&
    strings(claims.scopes)
  );
}
