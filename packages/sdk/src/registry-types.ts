/**
 * The registry's contract: what a service registers, what the registry keeps and what its watch
 * stream says. The platform and the SDK both speak these types.
 */

/** How the gateway authenticates callers of a path: enforced by the gateway's policies. */
export type AuthMode = 'public' | 'jwt' | 'api-key' | 'any';

/** An HTTP method an endpoint declares, or `*` for all of them. */
export type EndpointMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | '*';

/** A path of a service with its own access policy, e.g. `GET /orders/:id`. */
export interface EndpointSpec {
  method: EndpointMethod;
  /** A path pattern relative to the service: `/orders/:id`, `/files/*`. */
  path: string;
  /** Open to anonymous callers. */
  public?: boolean;
  /** The caller needs at least one of these roles. */
  roles?: string[];
  /** The caller needs every one of these permissions (`resource.action`, `*` wildcards). */
  permissions?: string[];
}

/**
 * An HTTP check the gateway runs against the instance (Consul-style): `GET path` every
 * interval; failures in a row take it out of rotation, successes in a row bring it back.
 */
export interface HealthCheckSpec {
  /** Path on the instance, e.g. `/health`. */
  path: string;
  /** Default 10. */
  intervalSeconds?: number;
  /** Default 2000. */
  timeoutMs?: number;
  /** Successes in a row that bring an instance back; default 2. */
  healthyThreshold?: number;
  /** Failures in a row that take an instance out; default 3. */
  unhealthyThreshold?: number;
}

/** What a service instance sends to register (`POST /v1/registry/instances`). */
export interface InstanceRegistration {
  /** Stable id; registering again with the same id updates the instance. Generated if absent. */
  id?: string;
  /** Lowercase DNS label: it appears in URLs as `/api/{service}/...`. */
  service: string;
  host: string;
  port: number;
  /** Prefix the gateway puts before the forwarded path; default `/`. */
  basePath?: string;
  version?: string;
  tags?: string[];
  /** Relative share of traffic for weighted balancing; default 1. */
  weight?: number;
  metadata?: Record<string, string>;
  /** Default auth policy for the service's paths no endpoint declares; default `any`. */
  auth?: AuthMode;
  endpoints?: EndpointSpec[];
  /** An active health check the gateway runs; none by default. */
  healthCheck?: HealthCheckSpec;
  /** Lease length; the instance disappears if it does not heartbeat within it. */
  ttlSeconds?: number;
  /**
   * The service's OpenAPI 3.x document, self-contained (local `$ref`s only) and at most
   * `openapi.maxDocumentBytes` as JSON; the gateway merges every service's into one (docs/openapi.md).
   */
  openapi?: OpenApiDocument;
}

/**
 * An OpenAPI 3.x document, as far as Portico reads it; the rest is kept as the service wrote it.
 * Paths are the service's own, as it serves them (under its `basePath`).
 */
export interface OpenApiDocument {
  /** `3.0.x` or `3.1.x`. */
  openapi: string;
  info: { title: string; version: string; description?: string; [key: string]: unknown };
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

/** Lifecycle state of an instance in the registry. */
export type InstanceStatus = 'up' | 'draining';

/** An instance as the registry keeps and reports it. */
export interface Instance {
  id: string;
  service: string;
  host: string;
  port: number;
  basePath: string;
  version: string;
  tags: string[];
  weight: number;
  metadata: Record<string, string>;
  auth: AuthMode;
  endpoints: EndpointSpec[];
  healthCheck?: HealthCheckSpec;
  ttlSeconds: number;
  status: InstanceStatus;
  registeredAt: string;
  lastHeartbeat: string;
  leaseExpiresAt: string;
  /** The registry revision of the instance's last change. */
  revision: number;
  /** The OpenAPI document the instance registered, validated; absent when it sent none. */
  openapi?: OpenApiDocument;
}

/** One line of `GET /v1/registry/services`. */
export interface ServiceSummary {
  name: string;
  instances: number;
  versions: string[];
}

/** `GET /v1/registry/services/{name}`. */
export interface ServiceDetail {
  name: string;
  instances: Instance[];
}

/** Why an instance left the registry. */
export type RemovalReason = 'deregistered' | 'expired';

/** One change of the registry, as the watch stream reports it. */
export type RegistryChange =
  | { revision: number; type: 'registered' | 'updated'; instance: Instance }
  | { revision: number; type: 'removed'; reason: RemovalReason; instance: Instance };

/** Everything the registry holds at a revision; a watcher that fell too far behind starts over from one. */
export interface RegistrySnapshot {
  revision: number;
  instances: Instance[];
}
