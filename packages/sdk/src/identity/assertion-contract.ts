/**
 * The identity assertion's contract, shared by the gateway that signs it and the SDK that
 * verifies it (DESIGN principle 4): where it travels, how it is typed, and what it claims.
 */

/** The request header that carries the assertion from the gateway to a service. */
export const ASSERTION_HEADER = 'x-portico-assertion';

/** The JWS `typ` of an assertion: no other kind of token (an access token, say) passes for one. */
export const ASSERTION_TYPE = 'portico-assertion+jwt';

/** The `iss` of every assertion. */
export const ASSERTION_ISSUER = 'portico-gateway';

/** Where the registry publishes the gateways' public keys (a JWKS), relative to its base URL. */
export const ASSERTION_KEYS_PATH = '/v1/registry/assertion-keys';

/** How the caller proved who it is at the gateway. */
export type AuthMethod = 'jwt' | 'api-key';

/** What kind of principal the caller is: a user, a service client (client credentials) or an API key. */
export type CallerKind = 'user' | 'client' | 'api-key';

/**
 * The claims of an assertion. The gateway signs them with its own Ed25519 key (`alg: EdDSA`,
 * `kid` names the key in the registry's JWKS).
 *
 * @example
 * ```ts
 * const claims: AssertionClaims = {
 *   iss: 'portico-gateway', aud: 'orders', sub: 'u-1', kind: 'user', tid: 'acme',
 *   roles: ['clerk'], permissions: ['orders.*'], scopes: [], auth_method: 'jwt', iat: 1700000000, exp: 1700000060,
 * };
 * ```
 */
export interface AssertionClaims {
  iss: typeof ASSERTION_ISSUER;
  /** The one service the assertion is for. */
  aud: string;
  /** User id, client id or API key id. */
  sub: string;
  kind: CallerKind;
  /** The tenant the request acts in, as the gateway resolved it. */
  tid: string;
  /** The caller's own tenant, when it acts in another one (a platform admin). */
  home_tid?: string;
  username?: string;
  roles: string[];
  permissions: string[];
  scopes: string[];
  auth_method: AuthMethod;
  iat: number;
  exp: number;
}
