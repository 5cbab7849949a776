import { isDeepStrictEqual } from 'node:util';
import { type Instance, RetryBudget } from '@portico/sdk';
import { detachedMetrics, type ServiceMetrics } from '../observability/service-metrics.js';
import type { WatchEvent } from '../registry/registry-port.js';
import type { Balancer, BalancerFactory } from './balancers/index.js';
import type { PolicyChain, ServiceAccess } from './policies/index.js';
import { ActiveHealthCheck } from './resilience/active-health-check.js';
import { CircuitBreaker } from './resilience/circuit-breaker.js';
import { MemoryFallbackStore } from './resilience/fallback-cache.js';
import type { FallbackStore, ServiceFallback } from './resilience/fallback-store.js';
import { type EjectionHost, OutlierDetector } from './resilience/outlier-detector.js';
import type { ServicePolicy } from './resilience/service-policy.js';
import { type RoutedInstance, routedInstance } from './routed-instance.js';
import { addressOf, Upstream } from './upstream.js';

const NO_MEMBERS: readonly Upstream[] = Object.freeze([]);

/** A service as the gateway routes it, with its resilience state. */
export interface ServiceRoute {
  readonly name: string;
  /**
   * Upstreams in rotation (weight above 0, not ejected, healthy); replaced, never mutated, so a
   * request holds a consistent list.
   */
  upstreams: readonly Upstream[];
  readonly balancer: Balancer;
  readonly policy: ServicePolicy;
  readonly breaker: CircuitBreaker;
  /** Present when the service's fallback cache is enabled. */
  readonly cache: ServiceFallback | undefined;
  /** The service's metric cells, resolved once here so a request only adds to them. */
  readonly metrics: ServiceMetrics;
  /**
   * The service's compiled policies; undefined when none applies, and then the gateway forwards
   * without any policy work. Recompiled only when the registered `auth` or `endpoints` change.
   */
  chain: PolicyChain | undefined;
  /**
   * The service's newest registered access settings, which `chain` was compiled from; declared
   * routes compile their chains from it too.
   */
  access: ServiceAccess | undefined;
  /** Counts changes of `access`, so a declared route knows when to compile again. */
  accessVersion: number;
  /** Requests to this service in progress (the admin view). */
  active: number;
  /** The service's retry budget, made by {@link retryBudget} on its first request. */
  budget: RetryBudget | undefined;
}

/**
 * The route's retry budget (`retries.budget*`), made on the service's first request: a gateway
 * that knows 10,000 services holds budgets, ~600 bytes each once counting, only for those it calls.
 *
 * @example
 * ```ts
 * retryBudget(route).request(now);
 * ```
 */
export function retryBudget(route: ServiceRoute): RetryBudget {
  if (route.budget !== undefined) return route.budget;
  const { budgetPercent, budgetWindowMs, budgetMinRetriesPerSecond } = route.policy.retries;
  route.budget = new RetryBudget({
    percent: budgetPercent,
    windowMs: budgetWindowMs,
    minRetriesPerSecond: budgetMinRetriesPerSecond,
  });
  return route.budget;
}

/**
 * The gateway's in-memory view of the registry, kept current by its watch (never by polling).
 * A service whose last instance left stays known, so callers get 503 rather than 404.
 *
 * Last-known-good: a snapshot from a new registry epoch (the registry restarted, maybe empty)
 * does not drop the instances it lacks at once; they stay routable for one lease (their TTL)
 * so they can re-register, and only those that do not are removed.
 */
export class RoutingTable implements EjectionHost {
  private readonly routes = new Map<string, ServiceRoute>();
  private readonly byId = new Map<string, Upstream>();
  /**
   * Every upstream of a service, out of rotation too: what a route's list is rebuilt from. An
   * array, not a Set: most services have a few instances, and an empty Set alone costs ~180 bytes.
   */
  private readonly membersByService = new Map<string, Upstream[]>();
  private readonly checks = new Map<Upstream, ActiveHealthCheck>();
  readonly outliers = new OutlierDetector(this);
  /** True once the first snapshot arrived: until then the gateway is not ready. */
  synced = false;
  revision = 0;
  private epoch: string | undefined;
  /** Instances a restarted registry did not know, with the time they leave unless they re-register. */
  private readonly stale = new Map<string, number>();
  private staleSweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly makeBalancer: BalancerFactory,
    private readonly policyFor: (service: string) => ServicePolicy,
    private readonly compileAccess?: (access: ServiceAccess) => PolicyChain | undefined,
    private readonly metricsFor: (service: string) => ServiceMetrics = detachedMetrics,
    /** Where each service's fallback answers live (`gateway.fallbackStore`). */
    private readonly fallbacks: FallbackStore = new MemoryFallbackStore(),
  ) {}

  /** The route of a service, or undefined when the gateway never heard of it. */
  route(service: string): ServiceRoute | undefined {
    return this.routes.get(service);
  }

  /** Every known service route. */
  allRoutes(): IterableIterator<ServiceRoute> {
    return this.routes.values();
  }

  /** Number of services the gateway knows (with instances or not). */
  routeCount(): number {
    return this.routes.size;
  }

  /** Number of live upstreams across all services. */
  upstreamCount(): number {
    return this.byId.size;
  }

  /** Number of instances kept only because a restarted registry has not heard from them yet. */
  staleCount(): number {
    return this.stale.size;
  }

  members(service: string): Iterable<Upstream> {
    return this.membersOf(service);
  }

  /** Outlier detection took `upstream` out of rotation. */
  ejected(upstream: Upstream): void {
    this.routes.get(upstream.instance.service)?.metrics.ejected();
  }

  /** Rebuilds a service's rotation from its members that take traffic. */
  refresh(service: string): void {
    const route = this.routes.get(service);
    if (!route) return;
    const takers: Upstream[] = [];
    let newest: Upstream | undefined;
    for (const upstream of this.membersOf(service)) {
      if (upstream.inRotation) takers.push(upstream);
      if (newest === undefined || upstream.instance.revision > newest.instance.revision) newest = upstream;
    }
    // An exact-size copy: a pushed-to array keeps room for 17 elements, per service.
    route.upstreams = takers.slice();
    // The newest registration speaks for the service: during a rolling deploy the new version's
    // endpoints apply as soon as it registers. With no member left the last policy stays.
    if (newest && this.compileAccess) this.recompile(route, newest.instance);
  }

  private recompile(route: ServiceRoute, instance: RoutedInstance): void {
    const auth = instance.auth ?? 'any';
    const endpoints = instance.endpoints ?? [];
    // Compared by value when an instance changes, not kept as a JSON key: that was one more
    // string per service, and this runs per registry change, never per request.
    const known = route.access;
    if (known && known.auth === auth && isDeepStrictEqual(known.endpoints, endpoints)) return;
    const access: ServiceAccess = { service: route.name, auth, endpoints };
    route.access = access;
    route.accessVersion++;
    route.chain = this.compileAccess?.(access);
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

  async close(): Promise<void> {
    clearInterval(this.staleSweep);
    this.stale.clear();
    for (const check of this.checks.values()) check.stop();
    this.checks.clear();
    const closing = [...this.byId.values()].map((upstream) => upstream.close());
    this.byId.clear();
    this.membersByService.clear();
    this.routes.clear();
    await Promise.all(closing);
  }

  private upsert(instance: Instance): void {
    this.stale.delete(instance.id);
    const existing = this.byId.get(instance.id);
    if (existing && existing.instance.service === instance.service && existing.address === addressOf(instance)) {
      existing.instance = routedInstance(instance, existing.instance.service);
      this.refresh(instance.service);
      return;
    }
    if (existing) this.remove(instance.id);
    const route = this.routeFor(instance.service);
    const upstream = new Upstream(routedInstance(instance, route.name), route.policy);
    this.byId.set(instance.id, upstream);
    const members = this.membersByService.get(instance.service);
    // A literal of one, not a push onto `[]`: V8 would reserve room for 17 (~150 bytes a service).
    if (members) members.push(upstream);
    else this.membersByService.set(instance.service, [upstream]);
    if (instance.healthCheck) {
      const check = new ActiveHealthCheck(upstream, instance.healthCheck, () => this.refresh(instance.service));
      this.checks.set(upstream, check);
      check.start();
    }
    this.refresh(instance.service);
  }

  private remove(id: string): void {
    this.stale.delete(id);
    const upstream = this.byId.get(id);
    if (!upstream) return;
    this.byId.delete(id);
    this.checks.get(upstream)?.stop();
    this.checks.delete(upstream);
    const members = this.membersByService.get(upstream.instance.service);
    const index = members?.indexOf(upstream) ?? -1;
    if (index >= 0) members?.splice(index, 1);
    if (members?.length === 0) this.membersByService.delete(upstream.instance.service);
    this.refresh(upstream.instance.service);
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

  private membersOf(service: string): readonly Upstream[] {
    return this.membersByService.get(service) ?? NO_MEMBERS;
  }

  private routeFor(service: string): ServiceRoute {
    let route = this.routes.get(service);
    if (!route) {
      const policy = this.policyFor(service);
      const metrics = this.metricsFor(service);
      route = {
        name: service,
        upstreams: [],
        balancer: this.makeBalancer(),
        policy,
        breaker: new CircuitBreaker(policy.breaker, metrics),
        cache: policy.fallback.enabled ? this.fallbacks.forService(service, policy.fallback) : undefined,
        metrics,
        chain: undefined,
        access: undefined,
        accessVersion: 0,
        active: 0,
        budget: undefined,
      };
      this.routes.set(service, route);
    }
    return route;
  }
}
