import type { EndpointSpec } from '@portico/sdk';
import { type Static, Type } from '@sinclair/typebox';
import type { Principal } from '../../identity/model.js';
import { hasPermission } from '../../identity/permissions.js';
import { isOpen } from './authentication.js';
import type { GatewayPolicy, PolicyDenial, PolicyVerdict } from './gateway-policy.js';
import { isPlatformAdmin } from './tenancy.js';

/** Per-route settings: requirements for every path of the service, on top of its endpoints'. */
export const AuthorizationConfig = Type.Object(
  {
    roles: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 100 })),
    permissions: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type AuthorizationConfig = Static<typeof AuthorizationConfig>;

/**
 * Authorization (priority 1800): an endpoint's `roles` need one of them, its `permissions`
 * need every one (granted permissions match with `*` wildcards: `orders.*`, `*.read`, `*`).
 * Platform admins pass. A caller without them gets 403 `AUTHORIZATION_ERROR`. Public paths
 * called anonymously have no principal and are not checked: `public` wins.
 *
 * @example
 * ```ts
 * // endpoints: [{ method: 'POST', path: '/orders/:id/refund', roles: ['clerk'], permissions: ['orders.refund'] }]
 * const compile = policyCompiler([authentication, tenancy, authorization], { identity: view }, () => undefined);
 * ```
 */
export const authorization: GatewayPolicy<AuthorizationConfig> = {
  name: 'authorization',
  priority: 1800,
  schema: AuthorizationConfig,
  compile(access, config) {
    const serviceWide: EndpointSpec | undefined =
      config?.roles?.length || config?.permissions?.length
        ? { method: '*', path: '/*', roles: config.roles ?? [], permissions: config.permissions ?? [] }
        : undefined;
    const anyEndpointNeeds = access.endpoints.some((e) => e.roles?.length || e.permissions?.length);
    if ((!serviceWide && !anyEndpointNeeds) || isOpen(access)) return undefined;
    return (exchange) => {
      const principal = exchange.principal;
      if (principal === undefined || isPlatformAdmin(principal)) return undefined;
      return check(principal, serviceWide) ?? check(principal, exchange.endpoint);
    };
  },
};

function check(principal: Principal, needs: EndpointSpec | undefined): PolicyVerdict {
  if (needs === undefined) return undefined;
  const roles = needs.roles;
  if (roles && roles.length > 0 && !roles.some((role) => principal.roles.includes(role))) {
    return forbidden(`this path needs one of the roles ${roles.join(', ')}`);
  }
  for (const permission of needs.permissions ?? []) {
    if (!hasPermission(principal.permissions, permission)) return forbidden(`this path needs ${permission}`);
  }
  return undefined;
}

function forbidden(message: string): PolicyDenial {
  return { code: 'AUTHORIZATION_ERROR', message };
}
