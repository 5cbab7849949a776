import type { IncomingMessage } from 'node:http';
import type { AssertionClaims, AuthMethod, CallerKind } from './assertion-contract.js';
import { permissionCovers } from './permission.js';

/**
 * Who called, as the gateway asserted it: verified by the SDK before the handler runs. Never
 * built from headers such as `x-user-id`, which anyone can send.
 *
 * @example
 * ```ts
 * const caller = callerOf(req);
 * if (!caller?.can('orders.refund')) throw new PorticoError('AUTHORIZATION_ERROR', 'no refunds for you');
 * ```
 */
export interface Caller {
  readonly kind: CallerKind;
  /** User id, client id or API key id. */
  readonly subject: string;
  /** The user's id when the caller is a user; undefined for service clients and API keys. */
  readonly userId: string | undefined;
  readonly username: string | undefined;
  /** The tenant the request acts in. */
  readonly tenant: string;
  /** The caller's own tenant: the same as `tenant` unless a platform admin acts in another one. */
  readonly homeTenant: string;
  readonly roles: readonly string[];
  readonly permissions: readonly string[];
  readonly scopes: readonly string[];
  readonly authMethod: AuthMethod;
  /** When the assertion stops being valid (ms since the epoch). */
  readonly expiresAt: number;
  /** Holds the role. */
  hasRole(role: string): boolean;
  /** Holds a permission that covers `permission` (`orders.*` covers `orders.read`, `*` covers all). */
  can(permission: string): boolean;
}

/** Builds the caller of verified claims. */
export function callerFromClaims(claims: AssertionClaims): Caller {
  const roles = Object.freeze([...claims.roles]);
  const permissions = Object.freeze([...claims.permissions]);
  return Object.freeze({
    kind: claims.kind,
    subject: claims.sub,
    userId: claims.kind === 'user' ? claims.sub : undefined,
    username: claims.username,
    tenant: claims.tid,
    homeTenant: claims.home_tid ?? claims.tid,
    roles,
    permissions,
    scopes: Object.freeze([...claims.scopes]),
    authMethod: claims.auth_method,
    expiresAt: claims.exp * 1000,
    hasRole: (role: string) => roles.includes(role),
    can: (permission: string) => permissions.some((granted) => permissionCovers(granted, permission)),
  });
}

const callers = new WeakMap<IncomingMessage, Caller>();

/** Remembers the verified caller of a request (the SDK does it before the handler runs). */
export function attachCaller(req: IncomingMessage, caller: Caller): void {
  callers.set(req, caller);
}

/**
 * The verified caller of a request that `serve()` is handling: `undefined` on a public path
 * (the gateway does not authenticate those) and when caller verification is turned off.
 *
 * @example
 * ```ts
 * await serve({
 *   service: 'orders',
 *   handler: (req, res) => {
 *     const caller = callerOf(req);
 *     res.end(`hello ${caller?.username ?? 'stranger'} of ${caller?.tenant ?? 'no tenant'}`);
 *   },
 * });
 * ```
 */
export function callerOf(req: IncomingMessage): Caller | undefined {
  return callers.get(req);
}
