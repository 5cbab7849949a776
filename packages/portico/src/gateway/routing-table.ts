import type { Instance } from '@portico/sdk';
import type { WatchEvent } from '../registry/registry-port.js';
import type { Balancer, BalancerFactory } from './balancers/index.js';
import { addressOf, type PoolSettings, Upstream } from './upstream.js';

/** A service as the gateway routes it. */
export interface ServiceRoute {
  readonly name: string;
  /**
   * Live upstreams that take traffic (weight above 0); replaced, never mutated, so a request
   * holds a consistent list.
   */
  upstreams: readonly Upstream[];
  readonly balancer: Balancer;
}

/**
 * The gateway's in-memory view of the registry, kept current by its watch (never by polling).
 * A service whose last instance left stays known, so callers get 503 rather than 404.
 *
 * Last-known-good: a snapshot from a new registry epoch (the registry restarted, maybe empty)
 * does not drop the instances it lacks at once; they stay routable for one lease (their TTL)
 * so they can re-register, and only those that do not are removed.
 */
export class RoutingTable {
  private readonly routes = new Map<string, ServiceRoute>();
  private readonly byId = new Map<string, Upstream>();
  /** Every upstream of a service, weight 0 included: what a route's list is rebuilt from. */
  private readonly members = new Map<string, Set<Upstream>>();
  /** True once the first snapshot arrived: until then the gateway is not ready. */
  synced = false;
  revision = 0;
  private epoch: string | undefined;
  /** Instances a restarted registry did not know, with the time they leave unless they re-register. */
  private readonly stale = new Map<string, number>();
  private staleSweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly makeBalancer: BalancerFactory,
    private readonly pools: PoolSettings,
  ) {}

  /** The route of a service, or undefined when the gateway never heard of it. */
  route(service: string): ServiceRoute | undefined {
    return this.routes.get(service);
  }

  /** Number of live upstreams across all services. */
  upstreamCount(): number {
    return this.byId.size;
  }

  apply(event: WatchEvent): void {
    if (event.kind === 'snapshot') {
      const restarted = this.epoch !== undefined && event.epoch !== this.epoch;
      this.epoch = event.epoch;
      if (restarted) this.keepForAGrace(event.snapshot.instances);
      else this.replaceAll(event.snapshot.instances);
      this.revision = event.snapshot.revision;
      this.synced = true;
      return;
    }
    const { change } = event;
    if (change.type === 'removed') this.remove(change.instance.id);
    else this.upsert(change.instance);
    this.revision = change.revision;
  }

  /** Number of instances kept only because a restarted registry has not heard from them yet. */
  staleCount(): number {
    return this.stale.size;
  }

  async close(): Promise<void> {
    clearInterval(this.staleSweep);
    this.stale.clear();
    const closing = [...this.byId.values()].map((upstream) => upstream.close());
    this.byId.clear();
    this.members.clear();
    this.routes.clear();
    await Promise.all(closing);
  }

  private upsert(instance: Instance): void {
    this.stale.delete(instance.id);
    const existing = this.byId.get(instance.id);
    if (existing && existing.instance.service === instance.service && existing.address === addressOf(instance)) {
      existing.instance = instance;
      this.refreshTakers(this.routeFor(instance.service));
      return;
    }
    if (existing) this.remove(instance.id);
    const upstream = new Upstream(instance, this.pools);
    this.byId.set(instance.id, upstream);
    this.membersOf(instance.service).add(upstream);
    this.refreshTakers(this.routeFor(instance.service));
  }

  /** Rebuilds a route's list from the instances of its service that take traffic. */
  private refreshTakers(route: ServiceRoute): void {
    const takers: Upstream[] = [];
    for (const upstream of this.membersOf(route.name)) if (upstream.instance.weight !== 0) takers.push(upstream);
    route.upstreams = takers;
  }

  private membersOf(service: string): Set<Upstream> {
    let members = this.members.get(service);
    if (!members) {
      members = new Set();
      this.members.set(service, members);
    }
    return members;
  }

  private remove(id: string): void {
    this.stale.delete(id);
    const upstream = this.byId.get(id);
    if (!upstream) return;
    this.byId.delete(id);
    this.members.get(upstream.instance.service)?.delete(upstream);
    const route = this.routes.get(upstream.instance.service);
    if (route) this.refreshTakers(route);
    void upstream.close();
  }

  private replaceAll(instances: readonly Instance[]): void {
    const keep = new Set(instances.map((i) => i.id));
    for (const id of [...this.byId.keys()]) if (!keep.has(id)) this.remove(id);
    for (const instance of instances) this.upsert(instance);
  }

  private keepForAGrace(instances: readonly Instance[]): void {
    const known = new Set(instances.map((i) => i.id));
    const now = Date.now();
    for (const [id, upstream] of this.byId) {
      if (!known.has(id) && !this.stale.has(id)) this.stale.set(id, now + upstream.instance.ttlSeconds * 1000);
    }
    for (const instance of instances) this.upsert(instance);
    if (this.stale.size > 0 && this.staleSweep === undefined) {
      this.staleSweep = setInterval(() => this.sweepStale(), 250);
      this.staleSweep.unref();
    }
  }

  private sweepStale(): void {
    const now = Date.now();
    for (const [id, until] of this.stale) if (until <= now) this.remove(id);
    if (this.stale.size === 0) {
      clearInterval(this.staleSweep);
      this.staleSweep = undefined;
    }
  }

  private routeFor(service: string): ServiceRoute {
    let route = this.routes.get(service);
    if (!route) {
      route = { name: service, upstreams: [], balancer: this.makeBalancer() };
      this.routes.set(service, route);
    }
    return route;
  }
}
