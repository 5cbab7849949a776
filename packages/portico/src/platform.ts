import { mkdir } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { BusPort } from '@portico/sdk';
import type { Logger } from 'pino';
import type { AdminPort } from './admin/admin-port.js';
import { processStatus } from './admin/status-route.js';
import type { PorticoConfig } from './config/schema.js';
import { startAssertions } from './gateway/assertions/index.js';
import { balancerFactory } from './gateway/balancers/index.js';
import { DeclaredRouteSet } from './gateway/declared-routes/declared-route-set.js';
import { createGateway, type Gateway, type PublicMount } from './gateway/gateway-server.js';
import { anyBreakerOpen, describeServices } from './gateway/gateway-view.js';
import { startIdleCollector } from './gateway/idle-collector.js';
import { BUILT_IN_POLICIES, policyCompiler } from './gateway/policies/index.js';
import { createRateLimiter } from './gateway/rate-limit/index.js';
import { createFallbackStore } from './gateway/resilience/fallback-stores.js';
import { servicePolicies } from './gateway/resilience/service-policy.js';
import { RoutingTable } from './gateway/routing-table.js';
import { StrippedHeaders } from './gateway/stripped-headers.js';
import { PlatformHealth } from './health/platform-health.js';
import { HttpIdentityPort } from './identity/http-identity-port.js';
import type { IdentityPort } from './identity/identity-port.js';
import { IdentityView } from './identity/identity-view.js';
import type { RunningIdentity } from './identity/start-identity.js';
import { createLogger } from './logger.js';
import { createAccessLog } from './observability/access-log.js';
import { PorticoMetrics } from './observability/metrics.js';
import { startOpenApi } from './openapi/start-openapi.js';
import type { HubAdminSource } from './realtime/hub-admin-api.js';
import { startRealtime } from './realtime/start-realtime.js';
import { HttpRegistry } from './registry/http-registry.js';
import { RegistryFollower } from './registry/last-known-good.js';
import { lastKnownGoodOptions } from './registry/last-known-good-options.js';
import { RegistrationAuth } from './registry/registration-auth.js';
import type { RegistryPort } from './registry/registry-port.js';
import { startRegistry } from './registry/start-registry.js';
import type { Tracing } from './tracing/tracing.js';

/**
 * What one process runs: everything (`all`), or one part of a distributed deployment. A
 * `gateway` reaches the registry at `registryUrl` through the network adapter; a `registry`
 * serves the registry API and no public port.
 */
export type PorticoRole = 'all' | 'gateway' | 'registry';

/** A running Portico process. */
export interface RunningPortico {
  readonly role: PorticoRole;
  /** Base URL of the public (gateway) port; absent for a registry-only process. */
  readonly publicUrl: string | undefined;
  /** Base URL of the admin port. */
  readonly adminUrl: string;
  /** Graceful stop: the gateway finishes in-flight requests, then everything closes. */
  close(): Promise<void>;
}

/** How to start. */
export interface StartOptions {
  role?: PorticoRole;
  logger?: Logger;
  /**
   * More span processors beside the configured exporter, used when `tracing.enabled` is on: a
   * test passes `new SimpleSpanProcessor(new InMemorySpanExporter())` to read the spans.
   */
  spanProcessors?: SpanProcessor[];
}

/**
 * Starts Portico: by default all in one process (memory registry, gateway, admin API wired
 * through the in-process adapters of their ports); with a role, one part of a distributed
 * deployment wired through the network adapters.
 *
 * @example
 * ```ts
 * import { loadConfig, startPortico } from 'portico';
 * const portico = await startPortico(loadConfig());
 * const gatewayOnly = await startPortico(loadConfig(), { role: 'gateway' });
 * ```
 */
export async function startPortico(config: PorticoConfig, options: StartOptions = {}): Promise<RunningPortico> {
  const role = options.role ?? 'all';
  const logger = options.logger ?? createLogger(config.logLevel);
  await mkdir(config.dataDir, { recursive: true });
  const health = new PlatformHealth();
  const metrics = new PorticoMetrics(role);
  // Identity lives with the store; in all-in-one mode that is this process.
  const identity = role === 'all' ? await startIdentityPart(config, logger, health, metrics) : undefined;
  const registry =
    role === 'gateway' ? remoteRegistry(config, logger, health) : await startRegistry(config, logger, health, metrics);
  // The bus lives with the store in all-in-one mode (docs/bus.md).
  const bus = identity
    ? await (await import('./bus/start-bus.js')).startBus(config, identity.identity.store, health, metrics)
    : undefined;
  // Lives with identity and its store (docs/config-center.md); loaded only there.
  const configCenter = identity
    ? (await import('./config-center/start-config-center.js')).startConfigCenter(config, identity.identity)
    : undefined;
  // Lives with the store too (docs/scheduler.md); loaded only there.
  const scheduler = identity
    ? (await import('./scheduler/start-scheduler.js')).startScheduler(config, identity.identity, {
        bus: bus?.bus,
        registry,
        metrics,
        logger,
      })
    : undefined;
  const openapi = role === 'registry' ? undefined : startOpenApi(config, registry);
  const mounts = [...(identity ? [identity.mount] : []), ...(openapi?.mounts ?? [])];
  const tracing =
    config.tracing.enabled && role !== 'registry'
      ? // Loaded only when on: with tracing off no OpenTelemetry module is ever loaded.
        (await import('./tracing/tracing.js')).startTracing(config.tracing, logger, options.spanProcessors)
      : undefined;
  const identityPort = identity?.port ?? (role === 'gateway' ? remoteIdentity(config, logger, health) : undefined);
  const gatewayPart =
    role === 'registry'
      ? undefined
      : await createGatewayPart(config, registry, health, logger, mounts, identityPort, tracing, metrics, bus?.bus);
  const gateway = gatewayPart?.gateway;
  const adminServes = {
    logger,
    health,
    metrics: () => metrics.text(),
    ...(gatewayPart
      ? {
          gatewayView: () => describeServices(gatewayPart.table),
          routes: gatewayPart.routes,
          realtime: gatewayPart.realtime,
        }
      : {}),
    status: () =>
      processStatus({
        role,
        health,
        registry,
        ...(role === 'gateway' ? { registryUrl: config.registryUrl } : {}),
        ...(gatewayPart
          ? { follower: gatewayPart.follower, table: gatewayPart.table, realtime: gatewayPart.realtime }
          : {}),
        ...(bus ? { bus: { adapter: config.bus.adapter } } : {}),
      }),
  };
  // Each server is loaded only where it runs: a gateway-only process, which holds neither the
  // registry nor identity, never loads Fastify (docs/deployment.md).
  const admin: AdminPort =
    role === 'gateway'
      ? (await import('./admin/lean-admin-server.js')).createLeanAdminServer(adminServes)
      : await (await import('./admin/admin-server.js')).createAdminServer({
          ...adminServes,
          registry,
          maxTtlSeconds: config.registry.maxTtlSeconds,
          maxOpenApiBytes: config.openapi.maxDocumentBytes,
          ...(bus ? { bus: bus.bus, busConsume: bus.consume } : {}),
          registrationAuth: new RegistrationAuth({
            mode: config.registry.auth,
            keys: config.registry.keys,
            adminHost: config.adminHost,
          }),
          assertionKeySecret: config.clusterSecret,
          ...(config.console.enabled ? { console: config.console } : {}),
          ...(configCenter ? { plugins: [configCenter.routes, ...(scheduler ? [scheduler.routes] : [])] } : {}),
          ...(identity
            ? {
                identity: identity.identity,
                identityWatch: { port: identity.port, secret: config.clusterSecret },
                publicDocument: () => identity.publicApp.swagger(),
              }
            : {}),
        });

  if (gateway) await listen(gateway.server, config.publicPort, config.host, 'public', 'PORTICO_PUBLIC_PORT');
  try {
    // The server's own listen: Fastify's close() then knows the server is listening and ends idle connections.
    await admin.listen({ port: config.adminPort, host: config.adminHost });
  } catch (error) {
    gateway?.server.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new ListenError(
      `cannot listen on ${config.adminHost}:${config.adminPort} for the admin port (${code}); set PORTICO_ADMIN_PORT`,
    );
  }
  const publicUrl = gateway ? urlOf(gateway.server) : undefined;
  const adminUrl = urlOf(admin.server);
  logger.info({ role, public: publicUrl, admin: adminUrl }, 'portico started');

  let closing: Promise<void> | undefined;
  return {
    role,
    publicUrl,
    adminUrl,
    close() {
      closing ??= (async () => {
        await gateway?.close(config.shutdownGraceMs);
        openapi?.close();
        await admin.close();
        // Before the bus and the registry: runs in flight finish on them.
        await scheduler?.close();
        await registry.close();
        await bus?.close();
        await configCenter?.close();
        await identity?.close();
        // Last: the spans of the requests the gateway finished above are exported too.
        await tracing?.shutdown();
        logger.info('portico stopped');
      })();
      return closing;
    },
  };
}

/** The registry for a gateway started alone: the network adapter to a registry process. */
function remoteRegistry(config: PorticoConfig, logger: Logger, health: PlatformHealth): RegistryPort {
  const remote = new HttpRegistry(config.registryUrl, {
    logger,
    assertionKeySecret: config.clusterSecret,
  });
  // Without the registry the gateway still routes with what it last knew: degraded, not down.
  health.addCheck('registry', () => (remote.connected() ? 'healthy' : 'degraded'));
  return remote;
}

/**
 * Identity for a gateway started alone: the network adapter to the identity process, when the
 * deployment shares a `clusterSecret`; without one the gateway serves public paths only.
 */
function remoteIdentity(config: PorticoConfig, logger: Logger, health: PlatformHealth): HttpIdentityPort | undefined {
  if (config.clusterSecret === '') {
    logger.warn('no clusterSecret: this gateway cannot verify credentials and serves public paths only');
    return undefined;
  }
  const port = new HttpIdentityPort(config.identityUrl || config.registryUrl, { logger, secret: config.clusterSecret });
  // Credentials are still checked against the last snapshot while identity is away.
  health.addCheck('identity', () => (port.connected() ? 'healthy' : 'degraded'));
  return port;
}

/** The gateway and the routing table it keeps current from the registry's watch. */
async function createGatewayPart(
  config: PorticoConfig,
  registry: RegistryPort,
  health: PlatformHealth,
  logger: Logger,
  mounts: PublicMount[],
  identityPort: IdentityPort | undefined,
  tracing: Tracing | undefined,
  metrics: PorticoMetrics,
  bus: BusPort | undefined,
): Promise<{
  gateway: Gateway;
  table: RoutingTable;
  routes: DeclaredRouteSet;
  follower: RegistryFollower;
  realtime: HubAdminSource & { enabled: boolean };
}> {
  // A gateway-only process without `clusterSecret` has no identity: its policies then refuse
  // every path that needs a credential (503) rather than let it through.
  const identityView = identityPort ? new IdentityView({ resync: () => identityPort.resync?.() }) : undefined;
  const identityWatch = identityView ? identityPort?.watch((event) => identityView.apply(event)) : undefined;
  // "Last used" of API keys is written in batches, off the hot path.
  const reportUses = setInterval(() => {
    const used = identityView?.takeApiKeyUses() ?? [];
    if (used.length > 0) {
      identityPort?.reportApiKeyUses(used).catch((error) => logger.warn({ err: error }, 'API key uses not recorded'));
    }
  }, 5_000);
  reportUses.unref();
  // Services trust what this gateway signs (DESIGN principle 4); its key is published before it listens.
  const assertions = startAssertions(registry, logger);
  // Rate-limit counters: in this process, or in Redis shared by every gateway (local while it is away).
  const rateLimiter = await createRateLimiter(config.gateway.rateLimit, logger);
  if (rateLimiter.store === 'redis') health.addCheck('ratelimit', () => rateLimiter.health());
  // Fallback answers: this gateway's, or also shared through Redis (written behind, read on failure only).
  const fallbacks = await createFallbackStore(config.gateway, logger);
  if (fallbacks.store === 'redis') health.addCheck('fallback', () => fallbacks.health());
  const strippedHeaders = new StrippedHeaders(config.gateway.strippedHeaders, config.gateway.underscoreHeaders);
  const compileAccess = policyCompiler(
    BUILT_IN_POLICIES,
    { identity: identityView, assertions: assertions.issuer, rateLimiter, strippedHeaders },
    // Checked against each policy's schema when the config was loaded.
    (service, policy) => config.services[service]?.policies?.[policy],
  );
  // Checked for conflicts among themselves when the config was loaded; against the gateway's own paths below.
  const routes = new DeclaredRouteSet(config.routes);
  const gatewayMetrics = metrics.gateway();
  const accessLog = config.gateway.accessLog ? createAccessLog(logger) : undefined;
  const table = new RoutingTable(
    balancerFactory(config.gateway.balancer),
    servicePolicies(config.gateway, config.services),
    compileAccess,
    // Each service's metric cells are resolved once, with its route; a request only adds to them.
    (service) => gatewayMetrics.forService(service),
    fallbacks,
  );
  gatewayMetrics.readRoutes(table);
  // With a remote registry, what it said is kept on disk too, for a start while it is down.
  const follower = new RegistryFollower({
    registry,
    apply: (event) => table.apply(event),
    logger,
    routes,
    ...lastKnownGoodOptions(config, registry),
  });
  health.addReadinessDetail('registry', () => follower.degradedNote());
  health.addCheck('routes', () => table.synced);
  // An open breaker is one service failing: the gateway itself still works.
  health.addCheck('breakers', () => (anyBreakerOpen(table) ? 'degraded' : 'healthy'));
  health.addReadiness(() => table.synced);
  // The hub on the public port (docs/realtime.md), fed from the bus where this process holds one.
  const realtime = await startRealtime(config.realtime, identityView, logger, bus);
  metrics.realtime().read(realtime.hub);
  const gateway = createGateway({
    table,
    health,
    logger,
    exchange: {
      maxBodyBytes: config.gateway.maxBodyBytes,
      outliers: table.outliers,
      securityHeaders: Object.entries(config.gateway.securityHeaders).map(
        ([name, value]) => [name.toLowerCase(), value] as const,
      ),
      strippedHeaders,
    },
    maxHeaderBytes: config.gateway.maxHeaderBytes,
    mounts,
    routes: { set: routes, compile: compileAccess },
    ...(tracing ? { tracer: tracing.requests } : {}),
    metrics: gatewayMetrics,
    ...(accessLog ? { accessLog } : {}),
    upgrade: realtime.upgrade,
  });
  // After the gateway holds its own paths, so routes restored from the file are checked against them.
  follower.start();
  // Gives back what the start-up sync or a registry burst grew once it stops (see startIdleCollector).
  const idleCollector = startIdleCollector({
    changes: () => table.revision,
    requests: () => gateway.requestsSettled(),
    inFlight: () => gateway.inFlight(),
  });
  return {
    table,
    routes,
    follower,
    realtime: { enabled: config.realtime.enabled, hub: realtime.hub, identity: identityView },
    gateway: {
      server: gateway.server,
      requestsSettled: gateway.requestsSettled,
      inFlight: gateway.inFlight,
      async close(graceMs) {
        await realtime.close();
        await gateway.close(graceMs);
        idleCollector.stop();
        await follower.close();
        clearInterval(reportUses);
        identityWatch?.close();
        await identityPort?.close?.();
        assertions.stop();
        await table.close();
        await rateLimiter.close();
        await fallbacks.close();
      },
    },
  };
}

/** Opens the store and identity; on the start that creates the first admin, shows its password once. */
async function startIdentityPart(
  config: PorticoConfig,
  logger: Logger,
  health: PlatformHealth,
  metrics: PorticoMetrics,
): Promise<RunningIdentity> {
  // Loaded only where identity runs: a gateway or registry process never holds the store's
  // modules (PGlite, kysely, pg, argon2), which would be most of its memory.
  const { startIdentity } = await import('./identity/start-identity.js');
  const identity = await startIdentity(config, logger, metrics.identity());
  health.addCheck('identity', () => 'healthy');
  const { throttle } = identity.identity;
  if (throttle.store === 'redis') health.addCheck('throttle', () => throttle.health());
  // A cheap `select 1`, answered from a short cache: probes never load the store.
  const { storeCheck } = await import('./health/store-check.js');
  health.addCheck('store', storeCheck(identity.identity.store));
  if (identity.generatedAdminPassword) {
    // Straight to stderr, not the log: log lines are shipped and kept, this must be seen once.
    process.stderr.write(
      `\nportico: created the platform admin. Sign in with tenant "platform", user "admin", password:\n\n    ${identity.generatedAdminPassword}\n\nThis password is not shown again. Set PORTICO_ADMIN_PASSWORD before the first start to choose it.\n\n`,
    );
  }
  return identity;
}

/** Thrown when a port cannot be bound; the message says which setting to change. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

function listen(server: Server, port: number, host: string, what: string, setting: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(new ListenError(`cannot listen on ${host}:${port} for the ${what} port (${error.code}); set ${setting}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function urlOf(server: Server): string {
  const { address, port, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  return `http://${host}:${port}`;
}
