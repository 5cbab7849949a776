import { type Static, Type } from '@sinclair/typebox';

const DNS_LABEL = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?';

/** HTTP methods a declared route may list; `*` or no list at all means every method. */
export const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * A route declared in `portico.yaml` (`routes:`) or through the admin API
 * (`PUT /v1/gateway/routes/{name}`): which requests it takes (paths, methods, hosts), where they
 * go (a registered service, optionally without a path prefix), how it ranks against routes on
 * the same path (priority), and per-route settings of the gateway's policies.
 *
 * @example
 * ```yaml
 * routes:
 *   - name: shop-orders
 *     paths: ['/shop/orders', '/shop/orders/*']
 *     methods: [GET, POST]
 *     hosts: ['api.example.com', '*.example.com']
 *     service: orders
 *     stripPrefix: /shop
 *     auth: jwt
 *     policies:
 *       cors: { origins: ['https://app.example.com'] }
 *       authorization: { roles: [clerk] }
 * ```
 */
export const DeclaredRouteSpec = Type.Object(
  {
    name: Type.String({ pattern: `^${DNS_LABEL}$`, description: 'Unique name of the route.' }),
    /** find-my-way patterns: `/static`, `/orders/:id`, `/files/*`. */
    paths: Type.Array(Type.String({ minLength: 1, maxLength: 1024, pattern: '^/[^\\s?#]*$' }), {
      minItems: 1,
      maxItems: 64,
    }),
    methods: Type.Optional(
      Type.Array(Type.Union([...ROUTE_METHODS.map((m) => Type.Literal(m)), Type.Literal('*')]), {
        minItems: 1,
        maxItems: ROUTE_METHODS.length + 1,
      }),
    ),
    /** Exact host names or one leading wildcard label (`*.example.com`); none means any host. */
    hosts: Type.Optional(
      Type.Array(Type.String({ pattern: `^(\\*\\.)?${DNS_LABEL}(\\.${DNS_LABEL})*$`, maxLength: 253 }), {
        minItems: 1,
        maxItems: 64,
      }),
    ),
    /** Among routes on the same path and method, the highest priority that matches wins. */
    priority: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
    service: Type.String({ pattern: `^${DNS_LABEL}$` }),
    /** Removed from the start of the path before forwarding (`/shop` + `/orders/1` → `/orders/1`). */
    stripPrefix: Type.Optional(Type.String({ pattern: '^/[^\\s?#]*[^/\\s?#]$', maxLength: 1024 })),
    /** The authentication mode of this route's paths no endpoint declares; default the service's own. */
    auth: Type.Optional(
      Type.Union([Type.Literal('public'), Type.Literal('jwt'), Type.Literal('api-key'), Type.Literal('any')]),
    ),
    /** Per-policy settings for this route, over the service's `services.{name}.policies`. */
    policies: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type DeclaredRouteSpec = Static<typeof DeclaredRouteSpec>;
