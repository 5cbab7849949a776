import { permissionCovers } from '@portico/sdk';
import type { Principal } from './model.js';

/** The built-in roles and what they grant; custom roles live in the store, per tenant. */
export const BUILT_IN_ROLES: Readonly<Record<string, readonly string[]>> = {
  /** Everything, everywhere. Only users of the `platform` tenant may hold it. */
  super_admin: ['*'],
  /** Everything inside its own tenant; the admin API keeps it there. */
  tenant_admin: ['*'],
  /** Signs in; permissions come from custom roles. */
  user: [],
};

/** The tenant that holds platform administrators. */
export const PLATFORM_TENANT = 'platform';

/** `resource.action`, either part may be `*`, or a lone `*`. */
export const PERMISSION_PATTERN = '^(\\*|[a-z0-9_-]{1,64}\\.(\\*|[a-z0-9_-]{1,64})|\\*\\.[a-z0-9_-]{1,64})$';

// One rule for the gateway, identity and a service's `caller.can()`: the SDK's.
export { permissionCovers };

/**
 * Tells whether any of `granted` covers `required`.
 *
 * @example
 * ```ts
 * hasPermission(['orders.read', 'users.*'], 'users.delete'); // true
 * ```
 */
export function hasPermission(granted: readonly string[], required: string): boolean {
  return granted.some((permission) => permissionCovers(permission, required));
}

/**
 * The one tenant rule of the tenant-scoped APIs (bus, scheduler, config center): a caller acts
 * for its own tenant, and a caller of the platform tenant for any tenant.
 *
 * @example
 * ```ts
 * actsForTenant({ tenant: 'globex' }, 'acme'); // false
 * ```
 */
export function actsForTenant(principal: Pick<Principal, 'tenant'>, tenant: string | null): boolean {
  return principal.tenant === PLATFORM_TENANT || principal.tenant === tenant;
}

/**
 * The permissions a set of roles grants, given the tenant's custom roles; unknown roles grant
 * nothing. Sorted and without duplicates, as they go into tokens.
 *
 * @example
 * ```ts
 * expandRoles(['user', 'editor'], new Map([['editor', ['posts.*']]])); // ['posts.*']
 * ```
 */
export function expandRoles(roles: readonly string[], custom: ReadonlyMap<string, readonly string[]>): string[] {
  const granted = new Set<string>();
  for (const role of roles) {
    for (const permission of BUILT_IN_ROLES[role] ?? custom.get(role) ?? []) granted.add(permission);
  }
  return [...granted].sort();
}

/** Tells whether a role name is built in. */
export function isBuiltInRole(name: string): boolean {
  return Object.hasOwn(BUILT_IN_ROLES, name);
}
