import type { AuthMode, EndpointSpec } from '@portico/sdk';
import { type Static, Type } from '@sinclair/typebox';
import type { IdentityView } from '../../identity/identity-view.js';
import type { Principal } from '../../identity/model.js';
import { presentedCredential } from './credentials.js';
import type { AccessPhase, GatewayPolicy, PolicyDenial, PolicyVerdict, ServiceAccess } from './gateway-policy.js';
import { hasDotSegment } from './path-safety.js';
import type { PolicyExchange } from './policy-exchange.js';

/**
 * Per-route settings: none yet. The mode of every path comes from the service's registration,
 * so that tenancy and authorization, which run only where a credential can exist, agree with it.
 */
export const AuthenticationConfig = Type.Object({}, { additionalProperties: false });
export type AuthenticationConfig = Static<typeof AuthenticationConfig>;

/** Authorization headers longer than this are refused before any parsing (431). */
export const MAX_AUTHORIZATION_BYTES = 8192;

/** RFC 9110 §11.6.1 challenges, without and with RFC 6750's `error="invalid_token"`. */
const CHALLENGES: Record<Exclude<AuthMode, 'public'>, [string, string]> = {
  jwt: ['Bearer realm="portico"', 'Bearer realm="portico", error="invalid_token"'],
  'api-key': ['ApiKey realm="portico"', 'ApiKey realm="portico", error="invalid_token"'],
  any: [
    'Bearer realm="portico", ApiKey realm="portico"',
    'Bearer realm="portico", error="invalid_token", ApiKey realm="portico", error="invalid_token"',
  ],
};

/**
 * The mode of one path: a matching endpoint that is `public` opens it; a matching endpoint
 * that is not public needs a credential even on a public service (it declares roles or
 * permissions, or exists to close a path); any other path follows the service's mode.
 */
/** True when every path of the service is public: no credential is ever read, no policy needs to run. */
export function isOpen(access: ServiceAccess): boolean {
  return access.auth === 'public' && access.endpoints.every((endpoint) => endpoint.public);
}

export function modeOf(endpoint: EndpointSpec | undefined, serviceMode: AuthMode): AuthMode {
  if (endpoint === undefined) return serviceMode;
  if (endpoint.public) return 'public';
  return serviceMode === 'public' ? 'any' : serviceMode;
}

/**
 * Authentication (priority 2000): every path of a service needs a valid credential unless it
 * is public. JWTs are verified locally by the identity view (pinned algorithm, `typ`, `iss`,
 * `aud`, `exp`, `nbf`, revocations; no I/O), API keys against its in-memory copy. Failures are
 * 401 `AUTHENTICATION_ERROR` with a `WWW-Authenticate` challenge for the path's mode.
 *
 * @example
 * ```ts
 * const chain = policyCompiler([authentication], { identity: view }, () => undefined);
 * ```
 */
export const authentication: GatewayPolicy<AuthenticationConfig> = {
  name: 'authentication',
  priority: 2000,
  schema: AuthenticationConfig,
  compile(access, _config, env) {
    const serviceMode = access.auth;
    if (isOpen(access)) return undefined;
    const identity = env.identity;
    if (identity === undefined) return withoutIdentity(serviceMode, access);
    // The endpoint (and so the mode) is looked up only after the path is known to be safe.
    return (exchange) =>
      hasDotSegment(exchange.path)
        ? DOT_SEGMENT_DENIAL
        : authenticate(exchange, modeOf(exchange.endpoint, serviceMode), identity);
  },
};

const DOT_SEGMENT_DENIAL: PolicyDenial = {
  code: 'VALIDATION_ERROR',
  message: 'the path has a "." or ".." segment; send it normalised',
};

function authenticate(exchange: PolicyExchange, mode: AuthMode, identity: IdentityView): ReturnType<AccessPhase> {
  const authorization = exchange.req.headers.authorization;
  if (authorization !== undefined && authorization.length > MAX_AUTHORIZATION_BYTES) {
    return {
      code: 'HEADERS_TOO_LARGE',
      message: `the Authorization header is longer than ${MAX_AUTHORIZATION_BYTES} bytes`,
    };
  }
  if (mode === 'public') return undefined;
  const presented = presentedCredential(exchange.req.headers, exchange.rest);
  switch (presented.kind) {
    case 'none':
      return challenge(mode, 'this path needs a credential', false);
    case 'malformed':
      return challenge(mode, presented.reason, true);
    case 'api-key': {
      if (mode === 'jwt') return challenge(mode, 'this path needs a Bearer token, not an API key', true);
      const principal = identity.verifyApiKey(presented.value);
      if (principal === undefined) return challenge(mode, 'the API key is invalid, revoked or expired', true);
      return admit(exchange, principal, 'api-key');
    }
    case 'jwt': {
      if (mode === 'api-key') return challenge(mode, 'this path needs an API key, not a Bearer token', true);
      // A token seen before is answered at once: no promise, no microtask.
      let known: Principal | undefined;
      try {
        known = identity.verifyKnownAccessToken(presented.value);
      } catch {
        return challenge(mode, 'the access token is invalid or expired', true);
      }
      if (known) return admit(exchange, known, 'jwt');
      return identity.verifyAccessToken(presented.value).then(
        (principal) => admit(exchange, principal, 'jwt'),
        () => challenge(mode, 'the access token is invalid or expired', true),
      );
    }
  }
}

function admit(exchange: PolicyExchange, principal: Principal, method: 'jwt' | 'api-key'): PolicyVerdict {
  exchange.principal = principal;
  exchange.authMethod = method;
  return undefined;
}

function challenge(mode: AuthMode, message: string, invalid: boolean): PolicyDenial {
  const [plain, rejected] = CHALLENGES[mode === 'public' ? 'any' : mode];
  return { code: 'AUTHENTICATION_ERROR', message, headers: { 'www-authenticate': invalid ? rejected : plain } };
}

/**
 * A gateway started alone without `clusterSecret` has no identity to check a credential with:
 * public paths still work, every other one answers 503 and says why.
 */
function withoutIdentity(serviceMode: AuthMode, access: ServiceAccess): AccessPhase {
  const denial: PolicyDenial = {
    code: 'SERVICE_UNAVAILABLE',
    message: `service ${access.service} needs authentication, and this gateway runs without identity (a gateway started alone needs clusterSecret to follow identity)`,
  };
  return (exchange) =>
    !hasDotSegment(exchange.path) && modeOf(exchange.endpoint, serviceMode) === 'public' ? undefined : denial;
}
