import { Gauge, type Registry } from 'prom-client';
import type { RoutingTable } from '../gateway/routing-table.js';
import { GatewayFamilies, PLATFORM_SERVICE, ServiceMetrics, UNKNOWN_SERVICE } from './service-metrics.js';

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * The gateway's metrics in one process's registry: the per-service families (resolved per
 * route, see `ServiceMetrics`), and gauges read from the routing table when scraped, so the
 * breaker state and ejected instances cost nothing between scrapes.
 *
 * @example
 * ```ts
 * const gateway = new GatewayMetrics(registry);
 * const table = new RoutingTable(balancers, policyFor, compile, (name) => gateway.forService(name));
 * gateway.readRoutes(table);
 * ```
 */
export class GatewayMetrics {
  private readonly families = new GatewayFamilies();
  /** Requests for `/api/{name}` of names never registered, and paths no route matches. */
  readonly unknown: ServiceMetrics;
  /** The gateway's own endpoints (probes, identity on the public port). */
  readonly platform: ServiceMetrics;
  private table: RoutingTable | undefined;

  constructor(registry: Registry) {
    for (const family of Object.values(this.families)) family.registerIn(registry);
    this.unknown = this.forService(UNKNOWN_SERVICE);
    this.platform = this.forService(PLATFORM_SERVICE);
    const tableOf = () => this.table;
    new Gauge({
      name: 'portico_gateway_breaker_state',
      help: "Each known service's circuit breaker: 0 closed, 1 half-open, 2 open.",
      labelNames: ['service'],
      registers: [registry],
      collect() {
        this.reset();
        const table = tableOf();
        if (!table) return;
        for (const route of table.allRoutes()) this.set({ service: route.name }, BREAKER_VALUE[route.breaker.state]);
      },
    });
    new Gauge({
      name: 'portico_gateway_upstreams',
      help: "Each known service's instances, by state: in_rotation, or out (ejected, failing its health check, weight 0).",
      labelNames: ['service', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        const table = tableOf();
        if (!table) return;
        for (const route of table.allRoutes()) {
          let members = 0;
          for (const _ of table.members(route.name)) members++;
          const inRotation = route.upstreams.length;
          this.set({ service: route.name, state: 'in_rotation' }, inRotation);
          this.set({ service: route.name, state: 'out' }, members - inRotation);
        }
      },
    });
  }

  /** The cells of one service; called once per service, when its route is made. */
  forService(service: string): ServiceMetrics {
    return new ServiceMetrics(service, this.families);
  }

  /** Where the scrape-time gauges read the routes from. */
  readRoutes(table: RoutingTable): void {
    this.table = table;
  }
}
