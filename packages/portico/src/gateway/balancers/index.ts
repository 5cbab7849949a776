import type { BALANCER_NAMES } from '../../config/schema.js';
import type { BalancerFactory } from './balancer.js';
import { LeastOutstandingBalancer } from './least-outstanding.js';
import { RoundRobinBalancer } from './round-robin.js';

export type { Balancer, BalancerFactory } from './balancer.js';

const FACTORIES: Record<(typeof BALANCER_NAMES)[number], BalancerFactory> = {
  'round-robin': () => new RoundRobinBalancer(),
  'least-outstanding': () => new LeastOutstandingBalancer(),
};

/**
 * Resolves a balancer name from the configuration to its factory.
 *
 * @example
 * ```ts
 * const makeBalancer = balancerFactory('least-outstanding');
 * ```
 */
export function balancerFactory(name: string): BalancerFactory {
  const factory = FACTORIES[name as keyof typeof FACTORIES];
  if (!factory) {
    throw new Error(`unknown balancer "${name}": choose one of ${Object.keys(FACTORIES).join(', ')}`);
  }
  return factory;
}
