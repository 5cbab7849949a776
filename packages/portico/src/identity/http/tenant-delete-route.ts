import { ok, PorticoError } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Identity } from '../identity.js';
import { PLATFORM_TENANT } from '../permissions.js';
import { actorOf, principalOf, requireSuperAdmin } from './principal.js';
import { DeleteTenantQuery, TenantParams } from './schemas.js';

/**
 * `DELETE /v1/admin/tenants/{tenant}` (platform admins). A tenant that still has users is
 * refused with 409 `CONFLICT` (`details.users`: how many) unless `?force=true`, so one click
 * cannot take a tenant's people with it by accident. A delete takes the tenant's users, roles,
 * API keys and service clients with it (the store cascades); their access tokens stop at once
 * (a user revocation each), its API keys leave every gateway's copy, and gateways see the
 * tenant as disabled until their next snapshot no longer has it (identity changes carry no
 * tenant removal). The `platform` tenant cannot be deleted. Audit entries stay.
 *
 * @example
 * ```ts
 * await app.register(tenantDeleteRoute, { identity });
 * // DELETE /v1/admin/tenants/acme?force=true
 * ```
 */
export async function tenantDeleteRoute(app: FastifyInstance, { identity }: { identity: Identity }): Promise<void> {
  const { tenants, users, apiKeys, audit, events } = identity;

  app.delete<{ Params: Static<typeof TenantParams>; Querystring: Static<typeof DeleteTenantQuery> }>(
    '/v1/admin/tenants/:tenant',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Delete a tenant (with ?force=true, also one that has users)',
        params: TenantParams,
        querystring: DeleteTenantQuery,
      },
    },
    async (request) => {
      requireSuperAdmin(principalOf(request));
      const { tenant: name } = request.params;
      if (name === PLATFORM_TENANT) throw new PorticoError('CONFLICT', 'the platform tenant cannot be deleted');
      await tenants.require(name);
      const userIds = await users.idsOf(name);
      if (userIds.length > 0 && request.query.force !== 'true') {
        throw new PorticoError(
          'CONFLICT',
          `tenant ${name} has ${userIds.length} users: delete them first, or delete with ?force=true`,
          { users: userIds.length },
        );
      }
      const liveKeys = (await apiKeys.list(name)).filter((key) => key.revokedAt === null);
      const tenant = await tenants.delete(name);
      for (const id of userIds) await identity.revokeUserTokens(id);
      for (const key of liveKeys) events.emit({ type: 'api-key.removed', id: key.id, prefix: key.prefix });
      events.emit({ type: 'tenant', tenant: { ...tenant, status: 'disabled' } });
      await audit.record(actorOf(request), {
        action: 'tenant.delete',
        tenant: name,
        target: name,
        changes: { displayName: tenant.displayName, users: userIds.length, apiKeys: liveKeys.length },
      });
      return ok(tenant, request.id);
    },
  );
}
