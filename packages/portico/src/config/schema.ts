import { type Static, Type } from '@sinclair/typebox';
import { DeclaredRouteSpec } from '../gateway/declared-routes/declared-route-spec.js';
import { headerPatterns } from '../gateway/policies/identity-headers.js';
import { DEFAULT_STRIPPED_HEADERS } from '../gateway/stripped-headers.js';
import { BusSchema } from './bus-schema.js';
import { ConfigCenterSchema } from './config-center-schema.js';
import { ConsoleSchema } from './console-schema.js';
import { FALLBACK_STORE_ENV_OVERRIDES, FallbackStoreSchema } from './fallback-store-schema.js';
import { IDENTITY_ENV_OVERRIDES, IdentitySchema, StoreSchema } from './identity-schema.js';
import { OPENAPI_ENV_OVERRIDES, OpenApiSchema } from './openapi-schema.js';
import { RATE_LIMIT_ENV_OVERRIDES, RateLimitSchema } from './rate-limit-schema.js';
import { REALTIME_ENV_OVERRIDES, RealtimeSchema } from './realtime-schema.js';
import { REGISTRY_ENV_OVERRIDES, RegistrySchema } from './registry-schema.js';
import { GatewayResilience, ServiceOverrides } from './resilience-schema.js';
import { SCHEDULER_ENV_OVERRIDES, SchedulerSchema } from './scheduler-schema.js';
import { TRACING_ENV_OVERRIDES, TracingSchema } from './tracing-schema.js';

const Port = (defaultPort: number) => Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort });
/** A string that must be one of a fixed list; JSON Schema `enum`, typed as the union. */
export const StringEnum = <T extends string>(values: readonly T[], options: { default?: T } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

const Millis = (defaultMs: number, maximum = 3_600_000) => Type.Integer({ minimum: 1, maximum, default: defaultMs });

/** Names of the gateway's load balancers; `gateway/balancers` resolves them. */
export const BALANCER_NAMES = ['round-robin', 'least-outstanding'] as const;

/**
 * The schema of `portico.yaml`. Every key has a default, so an absent file is a valid config;
 * unknown keys are rejected so a typo cannot pass silently.
 */
export const ConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Address of the public (gateway) port.' }),
    publicPort: Port(8080),
    adminHost: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address of the admin port.' }),
    adminPort: Port(9080),
    dataDir: Type.String({ minLength: 1, default: '.portico' }),
    logLevel: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
    /** How long shutdown waits for in-flight requests before closing their connections. */
    shutdownGraceMs: Millis(10_000, 600_000),
    /** The registry a gateway started alone (`portico start gateway`) watches: its admin URL. */
    registryUrl: Type.String({ minLength: 1, pattern: '^https?://', default: 'http://127.0.0.1:9080' }),
    /** The admin URL of the process that holds identity, for a gateway started alone; empty = `registryUrl`. */
    identityUrl: Type.String({ pattern: '^(|https?://.+)$', default: '' }),
    /**
     * Shared by the processes of one deployment: proves a gateway to the identity process (its
     * watch carries the key that checks API keys). Empty turns cross-process identity off.
     */
    clusterSecret: Type.String({ default: '', pattern: '^(|[\\x21-\\x7e]{32,512})$' }),
    registry: RegistrySchema,
    gateway: Type.Object(
      {
        balancer: StringEnum(BALANCER_NAMES, { default: 'round-robin' }),
        maxBodyBytes: Type.Integer({ minimum: 0, maximum: 2 ** 40, default: 8 * 1024 * 1024 }),
        maxHeaderBytes: Type.Integer({ minimum: 1024, maximum: 1024 * 1024, default: 16 * 1024 }),
        connectTimeoutMs: Millis(5_000),
        upstreamTimeoutMs: Millis(30_000),
        connectionsPerUpstream: Type.Integer({ minimum: 1, maximum: 10_000, default: 256 }),
        /** One JSON line per request at level info (docs/observability.md); false writes none. */
        accessLog: Type.Boolean({ default: true }),
        /** Response headers added to every proxied answer that does not set them itself; `{}` adds none. */
        securityHeaders: Type.Record(
          Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }),
          Type.String({ maxLength: 1024 }),
          {
            default: {
              'x-content-type-options': 'nosniff',
              'x-frame-options': 'DENY',
              'referrer-policy': 'no-referrer',
            },
          },
        ),
        /**
         * Request headers that carry a caller's identity elsewhere (Kong's `x-consumer-*`, ...),
         * never forwarded; `x-portico-*`, `x-user-*` and `x-tenant-id` are stripped whatever this says.
         */
        strippedHeaders: headerPatterns({ maxItems: 1024, default: [...DEFAULT_STRIPPED_HEADERS] }),
        /** Request headers whose name has `_` (read as `-` by WSGI, Rack, PHP): dropped, or forwarded. */
        underscoreHeaders: StringEnum<'drop' | 'forward'>(['drop', 'forward'], { default: 'drop' }),
        rateLimit: RateLimitSchema,
        fallbackStore: FallbackStoreSchema,
        ...GatewayResilience,
      },
      { additionalProperties: false, default: {} },
    ),
    /** Per-service overrides of the gateway's timeouts and resilience settings, by service name. */
    services: Type.Record(Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' }), ServiceOverrides, {
      default: {},
    }),
    /** Routes besides `/api/{service}/...`: paths, methods, hosts, priority, target service, policy settings. */
    routes: Type.Array(DeclaredRouteSpec, { default: [], maxItems: 10_000 }),
    store: StoreSchema,
    identity: IdentitySchema,
    tracing: TracingSchema,
    console: ConsoleSchema,
    bus: BusSchema,
    realtime: RealtimeSchema,
    openapi: OpenApiSchema,
    configCenter: ConfigCenterSchema,
    scheduler: SchedulerSchema,
  },
  { additionalProperties: false },
);

/** A validated configuration with every default filled in. */
export type PorticoConfig = Static<typeof ConfigSchema>;

/** Environment variables that override a config key, by the key's path. */
export const ENV_OVERRIDES: Record<string, readonly string[]> = {
  ...IDENTITY_ENV_OVERRIDES,
  ...TRACING_ENV_OVERRIDES,
  ...RATE_LIMIT_ENV_OVERRIDES,
  ...FALLBACK_STORE_ENV_OVERRIDES,
  ...REGISTRY_ENV_OVERRIDES,
  ...REALTIME_ENV_OVERRIDES,
  ...OPENAPI_ENV_OVERRIDES,
  ...SCHEDULER_ENV_OVERRIDES,
  PORTICO_HOST: ['host'],
  PORTICO_PUBLIC_PORT: ['publicPort'],
  PORTICO_ADMIN_HOST: ['adminHost'],
  PORTICO_ADMIN_PORT: ['adminPort'],
  PORTICO_DATA_DIR: ['dataDir'],
  PORTICO_LOG_LEVEL: ['logLevel'],
  PORTICO_SHUTDOWN_GRACE_MS: ['shutdownGraceMs'],
  PORTICO_REGISTRY_URL: ['registryUrl'],
  PORTICO_IDENTITY_URL: ['identityUrl'],
  PORTICO_CLUSTER_SECRET: ['clusterSecret'],
  PORTICO_TTL_SECONDS: ['registry', 'ttlSeconds'],
  PORTICO_BALANCER: ['gateway', 'balancer'],
  PORTICO_MAX_BODY_BYTES: ['gateway', 'maxBodyBytes'],
  PORTICO_UPSTREAM_TIMEOUT_MS: ['gateway', 'upstreamTimeoutMs'],
  PORTICO_CONNECT_TIMEOUT_MS: ['gateway', 'connectTimeoutMs'],
  PORTICO_ACCESS_LOG: ['gateway', 'accessLog'],
};
