import { ok, PorticoError } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Identity } from '../identity.js';
import { actorOf, principalOf, requireTenantAdmin } from './principal.js';
import { CreateRoleBody, PatchRoleBody, TenantParams, TenantRoleParams } from './schemas.js';

/** `/v1/admin/tenants/{tenant}/roles`: built-in roles plus the tenant's custom ones. */
export async function roleRoutes(app: FastifyInstance, { identity }: { identity: Identity }): Promise<void> {
  const { tenants, roles, users, audit } = identity;

  app.get<{ Params: Static<typeof TenantParams> }>(
    '/v1/admin/tenants/:tenant/roles',
    { schema: { tags: ['roles'], summary: 'List roles', params: TenantParams } },
    async (request) => {
      requireTenantAdmin(principalOf(request), request.params.tenant);
      await tenants.require(request.params.tenant);
      return ok(await roles.list(request.params.tenant), request.id);
    },
  );

  app.post<{ Params: Static<typeof TenantParams>; Body: Static<typeof CreateRoleBody> }>(
    '/v1/admin/tenants/:tenant/roles',
    { schema: { tags: ['roles'], summary: 'Create a custom role', params: TenantParams, body: CreateRoleBody } },
    async (request, reply) => {
      const { tenant } = request.params;
      requireTenantAdmin(principalOf(request), tenant);
      await tenants.require(tenant);
      const role = await roles.create(tenant, { description: '', ...request.body });
      await audit.record(actorOf(request), { action: 'role.create', tenant, target: role.name, changes: request.body });
      reply.code(201);
      return ok(role, request.id);
    },
  );

  app.patch<{ Params: Static<typeof TenantRoleParams>; Body: Static<typeof PatchRoleBody> }>(
    '/v1/admin/tenants/:tenant/roles/:role',
    { schema: { tags: ['roles'], summary: 'Change a custom role', params: TenantRoleParams, body: PatchRoleBody } },
    async (request) => {
      const { tenant, role: name } = request.params;
      requireTenantAdmin(principalOf(request), tenant);
      const role = await roles.update(tenant, name, request.body);
      await audit.record(actorOf(request), { action: 'role.update', tenant, target: name, changes: request.body });
      return ok(role, request.id);
    },
  );

  app.delete<{ Params: Static<typeof TenantRoleParams> }>(
    '/v1/admin/tenants/:tenant/roles/:role',
    { schema: { tags: ['roles'], summary: 'Delete a custom role no user holds', params: TenantRoleParams } },
    async (request) => {
      const { tenant, role: name } = request.params;
      requireTenantAdmin(principalOf(request), tenant);
      const holders = await users.countWithRole(tenant, name);
      if (holders > 0) throw new PorticoError('CONFLICT', `role ${name} is held by ${holders} users`, { holders });
      const role = await roles.delete(tenant, name);
      await audit.record(actorOf(request), { action: 'role.delete', tenant, target: name });
      return ok(role, request.id);
    },
  );
}
