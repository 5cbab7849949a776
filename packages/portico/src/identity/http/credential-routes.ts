import { ok, PorticoError } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Identity } from '../identity.js';
import { actorOf, principalOf, requireTenantAdmin } from './principal.js';
import { CreateApiKeyBody, CreateClientBody, TenantIdParams, TenantParams } from './schemas.js';

/**
 * `/v1/admin/tenants/{tenant}/api-keys` and `.../clients`: machine credentials. The secret is in
 * the creation answer and nowhere else: lists, audit entries and logs never carry it.
 */
export async function credentialRoutes(app: FastifyInstance, { identity }: { identity: Identity }): Promise<void> {
  const { tenants, apiKeys, clients, audit, events } = identity;

  app.post<{ Params: Static<typeof TenantParams>; Body: Static<typeof CreateApiKeyBody> }>(
    '/v1/admin/tenants/:tenant/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key (shown once)',
        params: TenantParams,
        body: CreateApiKeyBody,
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { tenant } = request.params;
      requireTenantAdmin(principal, tenant);
      await tenants.require(tenant);
      const { name, scopes = [], expiresAt = null } = request.body;
      const expiry = expiresAt === null ? null : new Date(expiresAt);
      if (expiry !== null && expiry.getTime() <= Date.now()) {
        throw new PorticoError('VALIDATION_ERROR', 'expiresAt must be in the future', { field: 'expiresAt' });
      }
      const created = await apiKeys.create(
        tenant,
        { name, scopes, expiresAt: expiry },
        principal.username ?? principal.subject,
      );
      await audit.record(actorOf(request), {
        action: 'api-key.create',
        tenant,
        target: created.apiKey.id,
        changes: { name, prefix: created.apiKey.prefix, scopes, expiresAt },
      });
      events.emit({ type: 'api-key.added', key: created.record });
      reply.code(201);
      return ok({ ...created.apiKey, key: created.key }, request.id);
    },
  );

  app.get<{ Params: Static<typeof TenantParams> }>(
    '/v1/admin/tenants/:tenant/api-keys',
    { schema: { tags: ['api-keys'], summary: 'List API keys (prefixes only)', params: TenantParams } },
    async (request) => {
      requireTenantAdmin(principalOf(request), request.params.tenant);
      await tenants.require(request.params.tenant);
      await identity.flushApiKeyUses();
      return ok(await apiKeys.list(request.params.tenant), request.id);
    },
  );

  app.delete<{ Params: Static<typeof TenantIdParams> }>(
    '/v1/admin/tenants/:tenant/api-keys/:id',
    { schema: { tags: ['api-keys'], summary: 'Revoke an API key', params: TenantIdParams } },
    async (request) => {
      const { tenant, id } = request.params;
      requireTenantAdmin(principalOf(request), tenant);
      const apiKey = await apiKeys.revoke(tenant, id);
      events.emit({ type: 'api-key.removed', id, prefix: apiKey.prefix });
      await audit.record(actorOf(request), {
        action: 'api-key.revoke',
        tenant,
        target: id,
        changes: { prefix: apiKey.prefix },
      });
      return ok(apiKey, request.id);
    },
  );

  app.post<{ Params: Static<typeof TenantParams>; Body: Static<typeof CreateClientBody> }>(
    '/v1/admin/tenants/:tenant/clients',
    {
      schema: {
        tags: ['clients'],
        summary: 'Create a service client (secret shown once)',
        params: TenantParams,
        body: CreateClientBody,
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { tenant } = request.params;
      requireTenantAdmin(principal, tenant);
      await tenants.require(tenant);
      const { name, scopes = [] } = request.body;
      const { client, clientSecret } = await clients.create(
        tenant,
        { name, scopes },
        principal.username ?? principal.subject,
      );
      await audit.record(actorOf(request), {
        action: 'client.create',
        tenant,
        target: client.id,
        changes: { name, clientId: client.clientId, scopes },
      });
      reply.code(201);
      return ok({ ...client, clientSecret }, request.id);
    },
  );

  app.get<{ Params: Static<typeof TenantParams> }>(
    '/v1/admin/tenants/:tenant/clients',
    { schema: { tags: ['clients'], summary: 'List service clients', params: TenantParams } },
    async (request) => {
      requireTenantAdmin(principalOf(request), request.params.tenant);
      await tenants.require(request.params.tenant);
      return ok(await clients.list(request.params.tenant), request.id);
    },
  );

  app.post<{ Params: Static<typeof TenantIdParams> }>(
    '/v1/admin/tenants/:tenant/clients/:id/secret',
    { schema: { tags: ['clients'], summary: 'Replace a client secret (shown once)', params: TenantIdParams } },
    async (request) => {
      const { tenant, id } = request.params;
      requireTenantAdmin(principalOf(request), tenant);
      const { client, clientSecret } = await clients.rotateSecret(tenant, id);
      await audit.record(actorOf(request), {
        action: 'client.rotate_secret',
        tenant,
        target: id,
        changes: { clientId: client.clientId },
      });
      return ok({ ...client, clientSecret }, request.id);
    },
  );

  app.delete<{ Params: Static<typeof TenantIdParams> }>(
    '/v1/admin/tenants/:tenant/clients/:id',
    { schema: { tags: ['clients'], summary: 'Deactivate a service client', params: TenantIdParams } },
    async (request) => {
      const { tenant, id } = request.params;
      requireTenantAdmin(principalOf(request), tenant);
      const client = await clients.deactivate(tenant, id);
      await audit.record(actorOf(request), {
        action: 'client.deactivate',
        tenant,
        target: id,
        changes: { clientId: client.clientId },
      });
      return ok(client, request.id);
    },
  );
}
