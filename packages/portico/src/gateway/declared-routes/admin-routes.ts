import { ok, PorticoError } from '@portico/sdk';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { DeclaredRoute } from './declared-route.js';
import { type DeclaredRouteSet, RouteConflictError, RouteLockedError } from './declared-route-set.js';
import { DeclaredRouteSpec } from './declared-route-spec.js';
import { routePolicyProblems } from './route-policy-problems.js';

const NameParams = Type.Object({ name: DeclaredRouteSpec.properties.name });
const RouteBody = Type.Omit(DeclaredRouteSpec, ['name'], { additionalProperties: false });

function describeRoute(route: DeclaredRoute) {
  return { ...route.spec, priority: route.priority, source: route.source };
}

/**
 * `/v1/gateway/routes` on the admin port of a process that runs a gateway: list, read, put
 * (create or replace) and delete declared routes. A change that conflicts with another route or
 * with the gateway's own paths is refused with 409 `CONFLICT` and leaves the routes as they were;
 * routes from portico.yaml are read-only here. Changes apply to this gateway at once and live
 * in its memory: routes every gateway must have belong in portico.yaml.
 *
 * @example
 * ```ts
 * await app.register(declaredRouteRoutes, { routes });
 * // PUT /v1/gateway/routes/shop {"paths":["/shop/*"],"service":"orders","stripPrefix":"/shop"}
 * ```
 */
export async function declaredRouteRoutes(app: FastifyInstance, options: { routes: DeclaredRouteSet }): Promise<void> {
  const { routes } = options;

  app.get('/v1/gateway/routes', async (request) => ok(routes.list().map(describeRoute), request.id));

  app.get<{ Params: Static<typeof NameParams> }>(
    '/v1/gateway/routes/:name',
    { schema: { params: NameParams } },
    async (request) => ok(describeRoute(found(routes.get(request.params.name), request.params.name)), request.id),
  );

  app.put<{ Params: Static<typeof NameParams>; Body: Static<typeof RouteBody> }>(
    '/v1/gateway/routes/:name',
    { schema: { params: NameParams, body: RouteBody } },
    async (request, reply) => {
      const spec: DeclaredRouteSpec = { ...request.body, name: request.params.name };
      const problem = routePolicyProblems(spec, [])[0];
      if (problem) throw new PorticoError('VALIDATION_ERROR', `${problem.path.join('.')} ${problem.message}`);
      let created: boolean;
      try {
        created = routes.put(spec);
      } catch (error) {
        if (error instanceof RouteConflictError || error instanceof RouteLockedError) {
          throw new PorticoError('CONFLICT', error.message);
        }
        throw error;
      }
      reply.code(created ? 201 : 200);
      return ok(describeRoute(routes.get(spec.name) as DeclaredRoute), request.id);
    },
  );

  app.delete<{ Params: Static<typeof NameParams> }>(
    '/v1/gateway/routes/:name',
    { schema: { params: NameParams } },
    async (request) => {
      const { name } = request.params;
      const route = found(routes.get(name), name);
      try {
        routes.delete(name);
      } catch (error) {
        if (error instanceof RouteLockedError) throw new PorticoError('CONFLICT', error.message);
        throw error;
      }
      return ok(describeRoute(route), request.id);
    },
  );
}

function found(route: DeclaredRoute | undefined, name: string): DeclaredRoute {
  if (route === undefined) throw new PorticoError('NOT_FOUND', `route ${name} is not declared`);
  return route;
}
