import { ok } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Identity } from '../identity.js';
import { actorOf, isSuperAdmin, principalOf, requireSuperAdmin, requireTenantAdmin } from './principal.js';
import { AuditQuerySchema, pageSize } from './schemas.js';

/** `/v1/admin/keys` (signing-key rotation, platform admins) and `/v1/admin/audit` (filter and paging). */
export async function platformRoutes(app: FastifyInstance, { identity }: { identity: Identity }): Promise<void> {
  app.get('/v1/admin/keys', { schema: { tags: ['keys'], summary: 'List signing keys' } }, async (request) => {
    requireSuperAdmin(principalOf(request));
    return ok(identity.keyRing.list(), request.id);
  });

  app.post(
    '/v1/admin/keys/rotate',
    { schema: { tags: ['keys'], summary: 'Rotate the signing key' } },
    async (request) => {
      requireSuperAdmin(principalOf(request));
      const rotated = await identity.rotateKeys();
      await identity.audit.record(actorOf(request), {
        action: 'keys.rotate',
        tenant: null,
        target: rotated.kid,
        changes: { retired: rotated.retired },
      });
      return ok({ ...rotated, keys: identity.keyRing.list() }, request.id);
    },
  );

  app.get<{ Querystring: Static<typeof AuditQuerySchema> }>(
    '/v1/admin/audit',
    { schema: { tags: ['audit'], summary: 'Read the audit log, newest first', querystring: AuditQuerySchema } },
    async (request) => {
      const principal = principalOf(request);
      const { tenant, actor, action, before, limit } = request.query;
      // A tenant admin reads its own tenant's entries, whatever it asked for.
      const scope = isSuperAdmin(principal) ? tenant : principal.tenant;
      if (!isSuperAdmin(principal)) requireTenantAdmin(principal, principal.tenant);
      const page = await identity.audit.query({
        limit: pageSize(limit),
        ...(scope !== undefined ? { tenant: scope } : {}),
        ...(actor !== undefined ? { actor } : {}),
        ...(action !== undefined ? { action } : {}),
        ...(before !== undefined ? { before } : {}),
      });
      return ok(page, request.id);
    },
  );
}
