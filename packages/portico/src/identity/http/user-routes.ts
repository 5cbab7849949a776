import { ok, PorticoError } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Identity } from '../identity.js';
import type { Principal } from '../model.js';
import { PLATFORM_TENANT } from '../permissions.js';
import { toUser } from '../rows.js';
import { actorOf, isSuperAdmin, principalOf, requireTenantAdmin } from './principal.js';
import { CreateUserBody, ListQuery, PatchUserBody, pageSize, TenantIdParams, TenantParams } from './schemas.js';
import { diff } from './tenant-routes.js';

/** `/v1/admin/tenants/{tenant}/users`: a tenant's users, for its admins and platform admins. */
export async function userRoutes(app: FastifyInstance, { identity }: { identity: Identity }): Promise<void> {
  const { tenants, users, roles, passwords, audit, refreshTokens } = identity;

  /** Roles a caller may hand out: `super_admin` only by a platform admin, only in the platform tenant. */
  async function checkRoles(principal: Principal, tenant: string, wanted: readonly string[]): Promise<void> {
    if (wanted.includes('super_admin') && (!isSuperAdmin(principal) || tenant !== PLATFORM_TENANT)) {
      throw new PorticoError(
        'AUTHORIZATION_ERROR',
        'super_admin can only be granted by a platform admin, in the platform tenant',
      );
    }
    await roles.requireExisting(tenant, wanted);
  }

  app.post<{ Params: Static<typeof TenantParams>; Body: Static<typeof CreateUserBody> }>(
    '/v1/admin/tenants/:tenant/users',
    { schema: { tags: ['users'], summary: 'Create a user', params: TenantParams, body: CreateUserBody } },
    async (request, reply) => {
      const principal = principalOf(request);
      const { tenant } = request.params;
      requireTenantAdmin(principal, tenant);
      await tenants.require(tenant);
      const { username, email = null, password, roles: wanted = ['user'] } = request.body;
      await checkRoles(principal, tenant, wanted);
      const user = await users.create(tenant, {
        username,
        email,
        passwordHash: await passwords.hash(password),
        roles: wanted,
      });
      await audit.record(actorOf(request), {
        action: 'user.create',
        tenant,
        target: user.id,
        changes: { username: user.username, email, roles: wanted },
      });
      reply.code(201);
      return ok(user, request.id);
    },
  );

  app.get<{ Params: Static<typeof TenantParams>; Querystring: Static<typeof ListQuery> }>(
    '/v1/admin/tenants/:tenant/users',
    { schema: { tags: ['users'], summary: 'List users, by username', params: TenantParams, querystring: ListQuery } },
    async (request) => {
      const { tenant } = request.params;
      requireTenantAdmin(principalOf(request), tenant);
      await tenants.require(tenant);
      const page = await users.list(tenant, {
        limit: pageSize(request.query.limit),
        ...(request.query.after ? { after: request.query.after.toLowerCase() } : {}),
      });
      return ok(page, request.id);
    },
  );

  app.get<{ Params: Static<typeof TenantIdParams> }>(
    '/v1/admin/tenants/:tenant/users/:id',
    { schema: { tags: ['users'], summary: 'Read a user', params: TenantIdParams } },
    async (request) => {
      const { tenant, id } = request.params;
      requireTenantAdmin(principalOf(request), tenant);
      return ok(toUser(await users.require(tenant, id)), request.id);
    },
  );

  app.patch<{ Params: Static<typeof TenantIdParams>; Body: Static<typeof PatchUserBody> }>(
    '/v1/admin/tenants/:tenant/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Change a user (roles, active, email, password)',
        params: TenantIdParams,
        body: PatchUserBody,
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { tenant, id } = request.params;
      requireTenantAdmin(principal, tenant);
      const before = toUser(await users.require(tenant, id));
      const { password, ...rest } = request.body;
      if (rest.roles) await checkRoles(principal, tenant, rest.roles);
      // Taking super_admin away is a platform admin's decision too.
      if (before.roles.includes('super_admin') && !isSuperAdmin(principal)) {
        throw new PorticoError('AUTHORIZATION_ERROR', 'only a platform admin may change a super_admin');
      }
      const user = await users.update(tenant, id, {
        ...rest,
        ...(password !== undefined ? { passwordHash: await passwords.hash(password) } : {}),
      });
      // A new password, new roles or a disabled account apply at once: sessions and tokens end.
      if (password !== undefined || rest.active === false || rest.roles !== undefined) {
        await refreshTokens.revokeUser(id);
        await identity.revokeUserTokens(id);
      }
      await audit.record(actorOf(request), {
        action: 'user.update',
        tenant,
        target: id,
        changes: {
          ...diff(before as unknown as Record<string, unknown>, rest),
          ...(password ? { password: true } : {}),
        },
      });
      return ok(user, request.id);
    },
  );

  app.delete<{ Params: Static<typeof TenantIdParams> }>(
    '/v1/admin/tenants/:tenant/users/:id',
    { schema: { tags: ['users'], summary: 'Delete a user', params: TenantIdParams } },
    async (request) => {
      const principal = principalOf(request);
      const { tenant, id } = request.params;
      requireTenantAdmin(principal, tenant);
      const existing = toUser(await users.require(tenant, id));
      if (existing.roles.includes('super_admin') && !isSuperAdmin(principal)) {
        throw new PorticoError('AUTHORIZATION_ERROR', 'only a platform admin may delete a super_admin');
      }
      if (principal.subject === id) throw new PorticoError('CONFLICT', 'you cannot delete yourself');
      const user = await users.delete(tenant, id);
      await identity.revokeUserTokens(id);
      await audit.record(actorOf(request), {
        action: 'user.delete',
        tenant,
        target: id,
        changes: { username: user.username },
      });
      return ok(user, request.id);
    },
  );
}
