import type { AuthMode, EndpointSpec, HealthCheckSpec, Instance } from '@portico/sdk';

/**
 * What the gateway keeps of a registered instance: the fields routing, balancing, health checks
 * and policies read, and nothing else. A registry's `Instance` also carries its version, tags,
 * metadata, status and three ISO timestamps (~300 bytes a record, 3 MiB for 10,000 services)
 * that the data plane never looks at; a full `Instance` is a `RoutedInstance` too.
 */
export interface RoutedInstance {
  readonly id: string;
  readonly service: string;
  readonly host: string;
  readonly port: number;
  readonly basePath: string;
  readonly weight: number;
  readonly auth: AuthMode;
  readonly endpoints: readonly EndpointSpec[];
  readonly healthCheck?: HealthCheckSpec | undefined;
  readonly ttlSeconds: number;
  /** The registry revision of the instance's last change. */
  readonly revision: number;
}

/** One frozen empty list for every instance that declares no endpoints (most of them). */
const NO_ENDPOINTS: readonly EndpointSpec[] = Object.freeze([]);

/**
 * The gateway's record of `instance`. `service` is passed in so every instance of a service
 * shares the route's one copy of the name rather than holding its own from the watch's JSON.
 *
 * @example
 * ```ts
 * const record = routedInstance(change.instance, route.name);
 * record.endpoints === routedInstance(other, route.name).endpoints; // true when both declare none
 * ```
 */
export function routedInstance(instance: Instance, service: string): RoutedInstance {
  return {
    id: instance.id,
    service,
    host: instance.host,
    port: instance.port,
    basePath: instance.basePath,
    weight: instance.weight,
    auth: instance.auth,
    endpoints: instance.endpoints.length === 0 ? NO_ENDPOINTS : instance.endpoints,
    healthCheck: instance.healthCheck,
    ttlSeconds: instance.ttlSeconds,
    revision: instance.revision,
  };
}
