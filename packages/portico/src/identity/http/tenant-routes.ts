import { ok, PorticoError } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Identity } from '../identity.js';
import { PLATFORM_TENANT } from '../permissions.js';
import { actorOf, isSuperAdmin, principalOf, requireSuperAdmin, requireTenantAdmin } from './principal.js';
import { CreateTenantBody, PatchTenantBody, TenantParams } from './schemas.js';

/**
 * `/v1/admin/tenants`: create and list (platform admins), read and change (a tenant admin may
 * change its own tenant's display name and config, not its status or services).
 */
export async function tenantRoutes(app: FastifyInstance, { identity }: { identity: Identity }): Promise<void> {
  const { tenants, audit, events } = identity;

  app.post<{ Body: Static<typeof CreateTenantBody> }>(
    '/v1/admin/tenants',
    { schema: { tags: ['tenants'], summary: 'Create a tenant', body: CreateTenantBody } },
    async (request, reply) => {
      requireSuperAdmin(principalOf(request));
      const tenant = await tenants.create(request.body);
      await audit.record(actorOf(request), {
        action: 'tenant.create',
        tenant: tenant.name,
        target: tenant.name,
        changes: request.body,
      });
      events.emit({ type: 'tenant', tenant });
      reply.code(201);
      return ok(tenant, request.id);
    },
  );

  app.get('/v1/admin/tenants', { schema: { tags: ['tenants'], summary: 'List tenants' } }, async (request) => {
    const principal = principalOf(request);
    if (isSuperAdmin(principal)) return ok(await tenants.list(), request.id);
    requireTenantAdmin(principal, principal.tenant);
    return ok([await tenants.require(principal.tenant)], request.id);
  });

  app.get<{ Params: Static<typeof TenantParams> }>(
    '/v1/admin/tenants/:tenant',
    { schema: { tags: ['tenants'], summary: 'Read a tenant', params: TenantParams } },
    async (request) => {
      requireTenantAdmin(principalOf(request), request.params.tenant);
      return ok(await tenants.require(request.params.tenant), request.id);
    },
  );

  app.patch<{ Params: Static<typeof TenantParams>; Body: Static<typeof PatchTenantBody> }>(
    '/v1/admin/tenants/:tenant',
    { schema: { tags: ['tenants'], summary: 'Change a tenant', params: TenantParams, body: PatchTenantBody } },
    async (request) => {
      const principal = principalOf(request);
      const { tenant: name } = request.params;
      requireTenantAdmin(principal, name);
      const body = request.body;
      if (!isSuperAdmin(principal) && (body.status !== undefined || body.enabledServices !== undefined)) {
        throw new PorticoError('AUTHORIZATION_ERROR', 'only a platform admin may change status or enabledServices');
      }
      if (name === PLATFORM_TENANT && body.status === 'disabled') {
        throw new PorticoError('CONFLICT', 'the platform tenant cannot be disabled');
      }
      const before = await tenants.require(name);
      const tenant = await tenants.update(name, body);
      await audit.record(actorOf(request), {
        action: 'tenant.update',
        tenant: name,
        target: name,
        changes: diff(before as unknown as Record<string, unknown>, body),
      });
      events.emit({ type: 'tenant', tenant });
      return ok(tenant, request.id);
    },
  );
}

/**
 * What a patch changed, as `{ field: { from, to } }`, for the audit log.
 *
 * @example
 * ```ts
 * diff({ displayName: 'A' }, { displayName: 'B' }); // { displayName: { from: 'A', to: 'B' } }
 * ```
 */
export function diff(before: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const [key, to] of Object.entries(patch)) {
    if (to === undefined) continue;
    const from = before[key];
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[key] = { from, to };
  }
  return changes;
}
