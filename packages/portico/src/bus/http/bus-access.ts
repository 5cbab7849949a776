import { PorticoError, permissionCovers } from '@portico/sdk';
import type { Principal } from '../../identity/model.js';
import { actsForTenant, PLATFORM_TENANT } from '../../identity/permissions.js';

/** The permission a caller needs to publish; `bus.*` or `*` cover it too. */
export const BUS_PUBLISH_PERMISSION = 'bus.publish';
/** The permission a caller needs to consume (join a group, fetch, settle); `bus.*` or `*` cover it too. */
export const BUS_CONSUME_PERMISSION = 'bus.consume';

/**
 * Throws `AUTHORIZATION_ERROR` unless the caller holds `permission`.
 *
 * @example
 * ```ts
 * requireBusPermission(principal, BUS_CONSUME_PERMISSION, 'consuming');
 * ```
 */
export function requireBusPermission(principal: Principal, permission: string, doing: string): void {
  if (!principal.permissions.some((granted) => permissionCovers(granted, permission))) {
    throw new PorticoError('AUTHORIZATION_ERROR', `${doing} needs the ${permission} permission`);
  }
}

/**
 * THE tenant rule of the bus, for publishing and consuming alike: a caller acts for its own
 * tenant only; a principal of the platform tenant may act for any tenant (and for none: `null`).
 *
 * @example
 * ```ts
 * requireTenant(principal, 'acme'); // throws AUTHORIZATION_ERROR for a principal of globex
 * ```
 */
export function requireTenant(principal: Principal, tenant: string | null): void {
  if (actsForTenant(principal, tenant)) return;
  throw new PorticoError('AUTHORIZATION_ERROR', 'the bus serves a caller for its own tenant only', { tenant });
}

/**
 * The tenant a publish is for: the caller's own when it names none (`null` for the platform
 * tenant), otherwise the one asked, if `requireTenant` allows it.
 *
 * @example
 * ```ts
 * const tenantId = publishTenant(principal, body.tenantId);
 * ```
 */
export function publishTenant(principal: Principal, asked: string | null | undefined): string | null {
  const own = principal.tenant === PLATFORM_TENANT ? null : principal.tenant;
  if (asked === undefined || asked === own) return own;
  requireTenant(principal, asked);
  return asked;
}

/**
 * The tenants a consumer receives: for a platform principal what it asked (absent = every tenant
 * and platform-wide messages); for anyone else exactly its own tenant, whatever it asked, after
 * `requireTenant` refused any other tenant in `asked`.
 *
 * @example
 * ```ts
 * consumeTenants(acmePrincipal, undefined); // ['acme']
 * ```
 */
export function consumeTenants(principal: Principal, asked: readonly string[] | undefined): string[] | undefined {
  for (const tenant of asked ?? []) requireTenant(principal, tenant);
  if (principal.tenant === PLATFORM_TENANT) return asked === undefined ? undefined : [...new Set(asked)];
  return [principal.tenant];
}

/**
 * The bus group an HTTP consumer joins. A tenant's groups live in its own namespace
 * (`tenant_<tenant>.<group>`; tenant names have no `.` or `_`), so two tenants naming the same
 * group never share deliveries; a platform principal names bus groups as they are.
 *
 * @example
 * ```ts
 * consumerGroup(acmePrincipal, 'payout'); // 'tenant_acme.payout'
 * ```
 */
export function consumerGroup(principal: Principal, group: string): string {
  return principal.tenant === PLATFORM_TENANT ? group : `tenant_${principal.tenant}.${group}`;
}
