import { ok } from '@portico/sdk';
import type { FastifyInstance } from 'fastify';
import type { DeclaredRouteSet } from './declared-route-set.js';
import { RouteBody, RouteNameParams, routeApi } from './route-api.js';

/**
 * `/v1/gateway/routes` on the admin port of a process that runs a gateway: list, read, put
 * (create or replace) and delete declared routes. A change that conflicts with another route or
 * with the gateway's own paths is refused with 409 `CONFLICT` and leaves the routes as they were;
 * routes from portico.yaml are read-only here. Changes apply to this gateway at once and live
 * in its memory: routes every gateway must have belong in portico.yaml. What each operation does
 * is `routeApi`, shared with the lean admin server of a gateway-only process.
 *
 * @example
 * ```ts
 * await app.register(declaredRouteRoutes, { routes });
 * // PUT /v1/gateway/routes/shop {"paths":["/shop/*"],"service":"orders","stripPrefix":"/shop"}
 * ```
 */
export async function declaredRouteRoutes(app: FastifyInstance, options: { routes: DeclaredRouteSet }): Promise<void> {
  const api = routeApi(options.routes);

  app.get('/v1/gateway/routes', async (request) => ok(api.list(), request.id));

  app.get<{ Params: RouteNameParams }>(
    '/v1/gateway/routes/:name',
    { schema: { params: RouteNameParams } },
    async (request) => ok(api.get(request.params.name), request.id),
  );

  app.put<{ Params: RouteNameParams; Body: RouteBody }>(
    '/v1/gateway/routes/:name',
    { schema: { params: RouteNameParams, body: RouteBody } },
    async (request, reply) => {
      const { created, route } = api.put(request.params.name, request.body);
      reply.code(created ? 201 : 200);
      return ok(route, request.id);
    },
  );

  app.delete<{ Params: RouteNameParams }>(
    '/v1/gateway/routes/:name',
    { schema: { params: RouteNameParams } },
    async (request) => ok(api.delete(request.params.name), request.id),
  );
}
