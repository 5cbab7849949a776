import { PorticoError } from '@portico/sdk';
import { isSuperAdmin } from '../identity/http/principal.js';
import type { Principal, Tenant } from '../identity/model.js';
import { actsForTenant, hasPermission, PLATFORM_TENANT } from '../identity/permissions.js';

/** What a caller wants to do with an entry. */
export type ConfigAction = 'read' | 'write';

/**
 * Who may read or write `config/{tenant}/{service}` (docs/config-center.md, "Who may"):
 * - a platform administrator (`super_admin`): every entry;
 * - a credential of the tenant itself holding `config.{action}` (a `tenant_admin` holds `*`;
 *   a service client or API key of the tenant needs the scope): the tenant's entries;
 * - a credential of the `platform` tenant holding `config.{action}` (a service that serves every
 *   tenant): the entries of the services the tenant enabled (`enabledServices`), which are the
 *   tenants the gateway lets call that service.
 *
 * @example
 * ```ts
 * mayAccess(principal, tenant, 'orders', 'read'); // true or false
 * ```
 */
export function mayAccess(principal: Principal, tenant: Tenant, service: string, action: ConfigAction): boolean {
  if (isSuperAdmin(principal)) return true;
  if (!hasPermission(principal.permissions, `config.${action}`)) return false;
  if (principal.tenant === tenant.name) return true;
  return principal.tenant === PLATFORM_TENANT && tenant.enabledServices.includes(service);
}

/**
 * Whether the caller may touch any entry of the tenant named `tenant` at all, decided before the
 * tenant is looked up: a credential of another (non-platform) tenant gets the same 403 whether
 * the tenant exists or not, so the config API is no oracle of other tenants' names.
 *
 * @example
 * ```ts
 * mayReachTenant(principal, 'acme'); // false for a credential of tenant globex
 * ```
 */
export function mayReachTenant(principal: Principal, tenant: string): boolean {
  return actsForTenant(principal, tenant);
}

/** Throws `AUTHORIZATION_ERROR` unless {@link mayReachTenant}; the message names no more than the request did. */
export function requireTenantReach(principal: Principal, tenant: string): void {
  if (!mayReachTenant(principal, tenant)) {
    throw new PorticoError('AUTHORIZATION_ERROR', `you may not read or write config of tenant ${tenant}`, { tenant });
  }
}

/** Throws `AUTHORIZATION_ERROR` unless {@link mayAccess}. */
export function requireAccess(principal: Principal, tenant: Tenant, service: string, action: ConfigAction): void {
  if (!mayAccess(principal, tenant, service, action)) {
    throw new PorticoError('AUTHORIZATION_ERROR', `you may not ${action} config ${tenant.name}/${service}`, {
      tenant: tenant.name,
      service,
    });
  }
}
