import type { RoutingTable } from './routing-table.js';

/**
 * What this gateway knows and thinks of each service: breaker state, requests in progress, the
 * retry budget's counts, and each instance's standing (in rotation, ejected until when, health check, failures in a
 * row). Served at `GET /v1/gateway/services` on the admin port.
 *
 * @example
 * ```ts
 * app.get('/v1/gateway/services', async () => describeServices(table));
 * ```
 */
export function describeServices(table: RoutingTable) {
  const now = Date.now();
  return [...table.allRoutes()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((route) => ({
      name: route.name,
      breaker: route.breaker.state,
      activeRequests: route.active,
      // Over the budget's window: requests and the retries they paid for.
      retryBudget: route.budget?.counts(now) ?? { requests: 0, retries: 0 },
      cachedResponses: route.cache?.size ?? 0,
      instances: [...table.members(route.name)].map((upstream) => ({
        id: upstream.instance.id,
        address: upstream.address,
        inRotation: upstream.inRotation,
        ejectedForMs: upstream.ejectedUntil === 0 ? 0 : Math.max(0, upstream.ejectedUntil - now),
        ejections: upstream.ejections,
        healthy: upstream.healthy,
        consecutiveFailures: upstream.consecutiveFailures,
        tries: upstream.tries,
        outstanding: upstream.outstanding,
      })),
    }));
}

/** True when some service's breaker is not closed: the gateway is degraded, not down. */
export function anyBreakerOpen(table: RoutingTable): boolean {
  for (const route of table.allRoutes()) if (route.breaker.state !== 'closed') return true;
  return false;
}
