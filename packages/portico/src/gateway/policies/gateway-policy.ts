import type { AuthMethod, AuthMode, EndpointSpec, ErrorCode } from '@portico/sdk';
import type { TSchema } from '@sinclair/typebox';
import type { IdentityView } from '../../identity/identity-view.js';
import type { Principal } from '../../identity/model.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { StrippedHeaders } from '../stripped-headers.js';
import type { PolicyExchange } from './policy-exchange.js';

/** What a policy compiles a service's route from: the registered `auth` and `endpoints`. */
export interface ServiceAccess {
  readonly service: string;
  /** The mode of paths no endpoint declares; `any` unless the service registered another. */
  readonly auth: AuthMode;
  readonly endpoints: readonly EndpointSpec[];
  /**
   * The declared route whose own settings this policy compiles with; absent when the settings
   * are the service's. A policy that keeps state (rate-limit counters) keeps it per scope.
   */
  readonly scope?: string;
}

/** What policies may use at run time; absent parts are absent from this process. */
export interface PolicyEnvironment {
  /** Identity's in-memory view; undefined in a gateway-only process (no identity port yet). */
  readonly identity: IdentityView | undefined;
  /** Signs (or reuses) the identity assertions forwarded to services; absent = none are sent. */
  readonly assertions?: AssertionIssuer;
  /** Where rate-limit counters live (memory, or Redis shared by every gateway); absent = a memory one. */
  readonly rateLimiter?: RateLimiter;
  /** The gateway's list of request headers not forwarded, which a route's policy adjusts; absent = the default list. */
  readonly strippedHeaders?: StrippedHeaders;
}

/** What the identity-assertion policy asks for: the assertion of a caller for one service. */
export interface AssertionIssuer {
  assertionFor(service: string, tenant: string, principal: Principal, authMethod: AuthMethod): string;
}

/** Why a request stops: an envelope error, with headers such as `WWW-Authenticate`. */
export interface PolicyDenial {
  readonly code: ErrorCode;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The envelope's `details` (e.g. `{ retryAfterSeconds }` of a 429). */
  readonly details?: unknown;
}

/**
 * A phase's answer when it wrote the whole response itself (a CORS preflight): the chain stops
 * and nothing is forwarded.
 */
export const ANSWERED: unique symbol = Symbol('answered');

/**
 * What a phase answers: `undefined` lets the request go on, a denial ends it, `ANSWERED` says
 * the phase already responded. A phase that needs to wait (a token not seen before) returns a
 * promise; every other one answers at once, so the common case never touches the microtask queue.
 */
export type PolicyVerdict = PolicyDenial | typeof ANSWERED | undefined;

/** The per-request function of a policy, bound to one service's compiled state. */
export type AccessPhase = (exchange: PolicyExchange) => PolicyVerdict | Promise<PolicyVerdict>;

/**
 * A gateway policy (STYLE habit 3): a name, a fixed place in the chain, a schema for its
 * per-route configuration, and its phase. `compile` runs when a service's route changes, never
 * per request; it returns `undefined` when the policy has nothing to do for that service, so a
 * service no policy applies to costs nothing extra per request.
 *
 * @example
 * ```ts
 * const denyDelete: GatewayPolicy<{ enabled: boolean }> = {
 *   name: 'deny-delete',
 *   priority: 500,
 *   schema: Type.Object({ enabled: Type.Boolean() }),
 *   compile: (_access, config) =>
 *     config?.enabled
 *       ? (exchange) => (exchange.method === 'DELETE' ? { code: 'METHOD_NOT_ALLOWED', message: 'no deletes' } : undefined)
 *       : undefined,
 * };
 * ```
 */
export interface GatewayPolicy<Config = unknown> {
  readonly name: string;
  /** Higher runs first, as in APISIX; the built-in list is kept in this order. */
  readonly priority: number;
  /** Validates the policy's per-route configuration (`services.{name}.policies.{policy}`). */
  readonly schema: TSchema;
  compile(access: ServiceAccess, config: Config | undefined, env: PolicyEnvironment): AccessPhase | undefined;
  /**
   * Rules across keys that the schema cannot say, checked once the schema passed; each problem
   * names its key as a JSON pointer (`/burst`).
   */
  check?(config: Config): readonly { path: string; message: string }[];
}
