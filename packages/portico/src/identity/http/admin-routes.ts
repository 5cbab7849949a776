import type { FastifyInstance } from 'fastify';
import type { Identity } from '../identity.js';
import { installStrictJson } from './body-parsers.js';
import { credentialRoutes } from './credential-routes.js';
import { platformRoutes } from './platform-routes.js';
import { requireBearer } from './principal.js';
import { roleRoutes } from './role-routes.js';
import { tenantDeleteRoute } from './tenant-delete-route.js';
import { tenantRoutes } from './tenant-routes.js';
import { userRoutes } from './user-routes.js';

/**
 * The identity admin API under `/v1/admin`, on the admin port. Encapsulated: its strict JSON
 * parser and its bearer check apply to these routes only, not to the registry's.
 *
 * @example
 * ```ts
 * await app.register(identityAdminRoutes, { identity });
 * ```
 */
export async function identityAdminRoutes(app: FastifyInstance, options: { identity: Identity }): Promise<void> {
  installStrictJson(app);
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ bearer: [] }] };
  });
  // onRequest, before the body is even read: an anonymous caller gets its 401 without costing a parse.
  app.addHook('onRequest', requireBearer(options.identity));
  await app.register(tenantRoutes, options);
  await app.register(tenantDeleteRoute, options);
  await app.register(userRoutes, options);
  await app.register(roleRoutes, options);
  await app.register(credentialRoutes, options);
  await app.register(platformRoutes, options);
}
