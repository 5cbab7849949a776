import { PorticoError } from '@portico/sdk';
import type { Principal } from '../../identity/model.js';
import { actsForTenant, hasPermission } from '../../identity/permissions.js';

/** The permission of the scheduler API; `scheduler.*` and `*` (super_admin, tenant_admin) cover it. */
export const SCHEDULER_ADMIN_PERMISSION = 'scheduler.admin';

/**
 * Throws `AUTHORIZATION_ERROR` unless the caller may manage `tenant`'s schedules: it holds
 * `scheduler.admin`, and it is of that tenant, or of the platform tenant (which manages every
 * tenant's), like the bus's tenant rule.
 *
 * @example
 * ```ts
 * requireSchedulerAccess(principal, 'acme');
 * ```
 */
export function requireSchedulerAccess(principal: Principal, tenant: string): void {
  if (!hasPermission(principal.permissions, SCHEDULER_ADMIN_PERMISSION)) {
    throw new PorticoError(
      'AUTHORIZATION_ERROR',
      `the scheduler API needs the ${SCHEDULER_ADMIN_PERMISSION} permission`,
    );
  }
  if (!actsForTenant(principal, tenant)) {
    throw new PorticoError('AUTHORIZATION_ERROR', "the scheduler serves a caller for its own tenant's schedules only", {
      tenant,
    });
  }
}
