import type { PorticoConfig } from '../config/schema.js';
import type { PublicMount } from '../gateway/gateway-server.js';
import type { RegistryPort } from '../registry/registry-port.js';
import { VERSION } from '../version.js';
import { OpenApiAggregator } from './openapi-aggregator.js';
import { openapiMount } from './openapi-mount.js';

/** The aggregated OpenAPI of a process that runs a gateway. */
export interface RunningOpenApi {
  /** `/openapi.json` and `/docs` for the public port; empty when `openapi.enabled` is false. */
  readonly mounts: PublicMount[];
  close(): void;
}

/**
 * Follows the registry (in-process or over HTTP: the same watch) and serves the merged document
 * of its services on the public port (docs/openapi.md).
 *
 * @example
 * ```ts
 * const openapi = startOpenApi(config, registry);
 * createGateway({ ..., mounts: [...openapi.mounts] });
 * ```
 */
export function startOpenApi(config: PorticoConfig, registry: RegistryPort): RunningOpenApi {
  if (!config.openapi.enabled) return { mounts: [], close() {} };
  const aggregator = new OpenApiAggregator(registry, { title: config.openapi.title, version: VERSION });
  return { mounts: [openapiMount(aggregator)], close: () => aggregator.close() };
}
