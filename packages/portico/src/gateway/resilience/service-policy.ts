import type { ServiceOverridesConfig } from '../../config/resilience-schema.js';
import type { PorticoConfig } from '../../config/schema.js';
import type { BreakerSettings } from './circuit-breaker.js';
import type { FallbackSettings } from './fallback-cache.js';

/** Retry settings of a service. */
export interface RetrySettings {
  attempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  budgetPercent: number;
  budgetWindowMs: number;
  budgetMinRetriesPerSecond: number;
  onStatus: number[];
}

/** Passive outlier detection settings of a service. */
export interface OutlierSettings {
  consecutiveFailures: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
  maxEjectionPercent: number;
}

/** Everything the gateway needs to know about how to call one service. */
export interface ServicePolicy {
  connectTimeoutMs: number;
  /** Per try: until the response headers, and the longest pause in the response body. */
  tryTimeoutMs: number;
  totalTimeoutMs: number;
  connectionsPerUpstream: number;
  retries: RetrySettings;
  outlier: OutlierSettings;
  breaker: BreakerSettings;
  fallback: FallbackSettings;
}

/**
 * The policy of one service: the gateway's defaults with the service's overrides from
 * `services.{name}` laid over them, key by key.
 *
 * @example
 * ```ts
 * const policy = servicePolicy(config.gateway, config.services.orders);
 * ```
 */
export function servicePolicy(
  gateway: PorticoConfig['gateway'],
  overrides: ServiceOverridesConfig | undefined,
): ServicePolicy {
  const o: ServiceOverridesConfig = overrides ?? {};
  return {
    connectTimeoutMs: o.connectTimeoutMs ?? gateway.connectTimeoutMs,
    tryTimeoutMs: o.upstreamTimeoutMs ?? gateway.upstreamTimeoutMs,
    totalTimeoutMs: o.totalTimeoutMs ?? gateway.totalTimeoutMs,
    connectionsPerUpstream: gateway.connectionsPerUpstream,
    retries: { ...gateway.retries, ...o.retries },
    outlier: { ...gateway.outlierDetection, ...o.outlierDetection },
    breaker: { ...gateway.circuitBreaker, ...o.circuitBreaker },
    fallback: { ...gateway.fallbackCache, ...o.fallbackCache },
  };
}

/**
 * The policy lookup a routing table calls once per new service. Services without overrides
 * share one policy object: a gateway that knows 10,000 services holds one, not 10,000 copies of
 * the same settings (~350 bytes each). Policies are read, never changed, so sharing is safe.
 *
 * @example
 * ```ts
 * const policyFor = servicePolicies(config.gateway, config.services);
 * policyFor('orders') === policyFor('billing'); // true when neither has overrides
 * ```
 */
export function servicePolicies(
  gateway: PorticoConfig['gateway'],
  services: Readonly<Record<string, ServiceOverridesConfig>>,
): (service: string) => ServicePolicy {
  const shared = servicePolicy(gateway, undefined);
  return (service) => {
    // Own keys only: a service named like an Object.prototype member has no overrides.
    const overrides = Object.hasOwn(services, service) ? services[service] : undefined;
    return overrides === undefined ? shared : servicePolicy(gateway, overrides);
  };
}
