import type { Upstream } from '../upstream.js';

/** Chooses the upstream for one request among a service's live ones (never an empty list). */
export interface Balancer {
  pick(upstreams: readonly Upstream[]): Upstream;
}

/** Makes one balancer per service, so each keeps its own position. */
export type BalancerFactory = () => Balancer;
