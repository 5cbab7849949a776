import { randomUUID } from 'node:crypto';
import { PorticoError } from '@portico/sdk';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { Principal } from './model.js';
import type { ActiveKey, SigningAlgorithm } from './signing-keys.js';

/** The `typ` header of Portico access tokens (RFC 9068), so no other JWT passes as one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Claims Portico puts in an access token besides the registered ones. */
export interface AccessTokenClaims extends JWTPayload {
  tid: string;
  roles: string[];
  permissions: string[];
  scope: string;
  /** The refresh-token family (session); absent on client-credentials tokens. */
  sid?: string;
  username?: string;
  client_id?: string;
}

/** Issuer and audience every token carries and every verifier checks. */
export interface TokenAudience {
  issuer: string;
  audience: string;
}

/**
 * Signs access tokens with the key ring's active key.
 *
 * @example
 * ```ts
 * const issuer = new TokenIssuer(() => ring.active(), { issuer: 'portico', audience: 'portico', ttlSeconds: 900 });
 * const { token } = await issuer.issue(principal);
 * ```
 */
export class TokenIssuer {
  readonly #key: () => ActiveKey;
  readonly #options: TokenAudience & { ttlSeconds: number };

  constructor(key: () => ActiveKey, options: TokenAudience & { ttlSeconds: number }) {
    this.#key = key;
    this.#options = options;
  }

  get ttlSeconds(): number {
    return this.#options.ttlSeconds;
  }

  /** Signs a token for `principal`; `issuedAt` (seconds) may move `iat` forward, never back. */
  async issue(principal: Principal, issuedAt?: number): Promise<{ token: string; expiresIn: number; jti: string }> {
    const key = this.#key();
    const jti = randomUUID();
    const iat = Math.max(Math.floor(Date.now() / 1000), issuedAt ?? 0);
    const claims: AccessTokenClaims = {
      tid: principal.tenant,
      roles: principal.roles,
      permissions: principal.permissions,
      scope: principal.scopes.join(' '),
    };
    if (principal.sessionId) claims.sid = principal.sessionId;
    if (principal.username) claims.username = principal.username;
    if (principal.kind === 'client') claims.client_id = principal.subject;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.#options.issuer)
      .setAudience(this.#options.audience)
      .setSubject(principal.subject)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.#options.ttlSeconds)
      .sign(key.privateKey);
    return { token, expiresIn: this.#options.ttlSeconds, jti };
  }
}

/** Answers whether a verified token was revoked after it was issued (logout, disable, password change). */
export type RevocationCheck = (claims: AccessTokenClaims) => boolean;

/** What a verifier needs: the current public keys, the expected issuer and audience, the algorithms. */
export interface VerifierOptions extends TokenAudience {
  /** The current JWKS; read on every verification, rebuilt into a key set only when it changes. */
  keys: () => JSONWebKeySet;
  algorithms: SigningAlgorithm[];
  isRevoked?: RevocationCheck;
  clockToleranceSeconds?: number;
  /** Verified tokens remembered until they expire (0 turns it off); default 10000. */
  cacheSize?: number;
  /**
   * Called when a token names a `kid` the key set lacks: resolves true once fresh keys may have
   * arrived (the token is then checked once more), false when no refetch is possible now.
   */
  onUnknownKey?: () => Promise<boolean>;
}

/**
 * Verifies access tokens locally against a JWKS held in memory: no I/O, algorithms pinned,
 * `typ`, `iss`, `aud`, `exp` and `nbf` checked. Every failure is the same 401, so a caller
 * learns nothing about which check failed.
 *
 * @example
 * ```ts
 * const verifier = new AccessTokenVerifier({ keys: () => ring.jwks(), issuer: 'portico', audience: 'portico', algorithms: ['EdDSA'] });
 * const principal = await verifier.verify(token);
 * ```
 */
export class AccessTokenVerifier {
  readonly #options: VerifierOptions;
  #source: JSONWebKeySet | undefined;
  #keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  /**
   * Tokens whose signature already checked out, by their exact text. A signature check costs
   * about 0.3 ms; a client sends the same token for its whole lifetime, so the hot path pays it
   * once per token. Expiry and revocation are still checked on every call, and a change of the
   * key set empties the cache, so a key past its grace stops verifying at once.
   */
  readonly #verified = new Map<string, AccessTokenClaims>();
  readonly #principals = new WeakMap<AccessTokenClaims, Principal>();

  constructor(options: VerifierOptions) {
    this.#options = options;
  }

  async verify(token: string): Promise<Principal> {
    return this.#principalOf(await this.verifyClaims(token));
  }

  /**
   * The principal of a token whose signature was already checked, answered without waiting (the
   * gateway's hot path): `undefined` when the token is not in the cache (call `verify`); throws
   * `AUTHENTICATION_ERROR` when it has expired or was revoked since.
   */
  verifyKnown(token: string): Principal | undefined {
    this.#keys();
    const cached = this.#verified.get(token);
    if (!cached) return undefined;
    if (!this.#stillValid(cached)) {
      this.#verified.delete(token);
      throw invalidToken();
    }
    return this.#principalOf(cached);
  }

  #stillValid(claims: AccessTokenClaims): boolean {
    const tolerance = this.#options.clockToleranceSeconds ?? 5;
    return (claims.exp as number) + tolerance > Date.now() / 1000 && !this.#options.isRevoked?.(claims);
  }

  /** Built once per verified token and shared by its requests: callers must not change it. */
  #principalOf(claims: AccessTokenClaims): Principal {
    const known = this.#principals.get(claims);
    if (known) return known;
    const client = typeof claims.client_id === 'string';
    const principal: Principal = {
      kind: client ? 'client' : 'user',
      subject: claims.sub as string,
      tenant: claims.tid,
      roles: claims.roles,
      permissions: claims.permissions,
      scopes: claims.scope === '' ? [] : claims.scope.split(' '),
    };
    if (claims.sid) principal.sessionId = claims.sid;
    if (claims.username) principal.username = claims.username;
    this.#principals.set(claims, principal);
    return principal;
  }

  /** The token's claims once every check passed; throws `AUTHENTICATION_ERROR` otherwise. */
  async verifyClaims(token: string, refetched = false): Promise<AccessTokenClaims> {
    const keys = this.#keys();
    const cached = this.#verified.get(token);
    if (cached) {
      if (this.#stillValid(cached)) return cached;
      this.#verified.delete(token);
      throw invalidToken();
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.#options.issuer,
        audience: this.#options.audience,
        algorithms: this.#options.algorithms,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        clockTolerance: this.#options.clockToleranceSeconds ?? 5,
      }));
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey && !refetched && (await this.#options.onUnknownKey?.())) {
        return this.verifyClaims(token, true);
      }
      if (error instanceof errors.JOSEError || error instanceof TypeError) throw invalidToken();
      throw error;
    }
    if (!isPorticoClaims(payload)) throw invalidToken();
    if (this.#options.isRevoked?.(payload)) throw invalidToken();
    this.#remember(token, payload);
    return payload;
  }

  #remember(token: string, claims: AccessTokenClaims): void {
    const limit = this.#options.cacheSize ?? 10_000;
    if (limit === 0) return;
    // Oldest first out: Map keeps insertion order.
    if (this.#verified.size >= limit) this.#verified.delete(this.#verified.keys().next().value as string);
    this.#verified.set(token, claims);
  }

  #keys() {
    const current = this.#options.keys();
    if (current !== this.#source || !this.#keySet) {
      this.#source = current;
      this.#keySet = createLocalJWKSet(current);
      this.#verified.clear();
    }
    return this.#keySet;
  }
}

function isPorticoClaims(payload: JWTPayload): payload is AccessTokenClaims {
  const claims = payload as Partial<AccessTokenClaims>;
  return (
    typeof claims.tid === 'string' &&
    typeof claims.scope === 'string' &&
    Array.isArray(claims.roles) &&
    claims.roles.every((role) => typeof role === 'string') &&
    Array.isArray(claims.permissions) &&
    claims.permissions.every((permission) => typeof permission === 'string')
  );
}

function invalidToken(): PorticoError {
  return new PorticoError('AUTHENTICATION_ERROR', 'the access token is invalid or expired');
}
