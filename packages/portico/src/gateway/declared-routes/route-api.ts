import { PorticoError } from '@portico/sdk';
import { type Static, Type } from '@sinclair/typebox';
import type { DeclaredRoute } from './declared-route.js';
import { type DeclaredRouteSet, RouteConflictError, RouteLockedError } from './declared-route-set.js';
import { DeclaredRouteSpec } from './declared-route-spec.js';
import { routePolicyProblems } from './route-policy-problems.js';

/** `{name}` of `/v1/gateway/routes/{name}`. */
export const RouteNameParams = Type.Object({ name: DeclaredRouteSpec.properties.name });
export type RouteNameParams = Static<typeof RouteNameParams>;
/** The body of `PUT /v1/gateway/routes/{name}`: a route without its name, which is in the path. */
export const RouteBody = Type.Omit(DeclaredRouteSpec, ['name'], { additionalProperties: false });
export type RouteBody = Static<typeof RouteBody>;

/** A declared route as the API shows it: its spec with its effective priority and where it came from. */
export type DescribedRoute = DeclaredRouteSpec & { priority: number; source: string };

/**
 * What `/v1/gateway/routes` does, apart from HTTP: both admin servers (Fastify in a process that
 * holds the registry, the lean one of a gateway-only process) check the request against
 * `RouteNameParams` and `RouteBody`, then call these. Failures are thrown as `PorticoError`:
 * `NOT_FOUND`, `CONFLICT` (another route takes the same requests, a path the gateway serves
 * itself, a route from portico.yaml), `VALIDATION_ERROR` (policy settings).
 *
 * @example
 * ```ts
 * const api = routeApi(routes);
 * const { created, route } = api.put('shop', { paths: ['/shop/*'], service: 'orders' });
 * ```
 */
export function routeApi(routes: DeclaredRouteSet) {
  return {
    list(): DescribedRoute[] {
      return routes.list().map(describeRoute);
    },

    get(name: string): DescribedRoute {
      return describeRoute(found(routes.get(name), name));
    },

    /** Creates or replaces; `created` tells which (201 or 200). */
    put(name: string, body: RouteBody): { created: boolean; route: DescribedRoute } {
      const spec: DeclaredRouteSpec = { ...body, name };
      const problem = routePolicyProblems(spec, [])[0];
      if (problem) {
        // The same {field, message} details as a schema failure, so a form can show it on its field.
        const field = problem.path.join('.');
        throw new PorticoError('VALIDATION_ERROR', `${field} ${problem.message}`, [
          { field, message: problem.message },
        ]);
      }
      let created: boolean;
      try {
        created = routes.put(spec);
      } catch (error) {
        if (error instanceof RouteConflictError || error instanceof RouteLockedError) {
          throw new PorticoError('CONFLICT', error.message);
        }
        throw error;
      }
      return { created, route: describeRoute(routes.get(name) as DeclaredRoute) };
    },

    /** Removes a route added through the API; answers with what it was. */
    delete(name: string): DescribedRoute {
      const route = found(routes.get(name), name);
      try {
        routes.delete(name);
      } catch (error) {
        if (error instanceof RouteLockedError) throw new PorticoError('CONFLICT', error.message);
        throw error;
      }
      return describeRoute(route);
    },
  };
}

function describeRoute(route: DeclaredRoute): DescribedRoute {
  return { ...route.spec, priority: route.priority, source: route.source };
}

function found(route: DeclaredRoute | undefined, name: string): DeclaredRoute {
  if (route === undefined) throw new PorticoError('NOT_FOUND', `route ${name} is not declared`);
  return route;
}
