import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createAdminServer } from './admin/admin-server.js';
import type { PorticoConfig } from './config/schema.js';
import { balancerFactory } from './gateway/balancers/index.js';
import { createGateway } from './gateway/gateway-server.js';
import { RoutingTable } from './gateway/routing-table.js';
import { PlatformHealth } from './health/platform-health.js';
import { createLogger } from './logger.js';
import { MemoryRegistry } from './registry/memory-registry.js';

/** A running all-in-one Portico. */
export interface RunningPortico {
  /** Base URL of the public (gateway) port. */
  readonly publicUrl: string;
  /** Base URL of the admin port. */
  readonly adminUrl: string;
  /** Graceful stop: the gateway finishes in-flight requests, then everything closes. */
  close(): Promise<void>;
}

/**
 * Starts Portico in one process: registry (memory), gateway and admin API, wired through the
 * in-process adapters of their ports.
 *
 * @example
 * ```ts
 * import { loadConfig, startPortico } from 'portico';
 * const portico = await startPortico(loadConfig());
 * console.log(portico.publicUrl);
 * ```
 */
export async function startPortico(
  config: PorticoConfig,
  logger: Logger = createLogger(config.logLevel),
): Promise<RunningPortico> {
  await mkdir(config.dataDir, { recursive: true });
  const health = new PlatformHealth();
  const registry = new MemoryRegistry({
    ttlSeconds: config.registry.ttlSeconds,
    watchHistory: config.registry.watchHistory,
  });
  const table = new RoutingTable(balancerFactory(config.gateway.balancer), {
    connectTimeoutMs: config.gateway.connectTimeoutMs,
    connectionsPerUpstream: config.gateway.connectionsPerUpstream,
  });
  const watch = registry.watch({}, (event) => table.apply(event));
  health.addCheck('registry', () => table.synced);
  health.addReadiness(() => table.synced);

  const gateway = createGateway({
    table,
    health,
    logger,
    limits: { maxBodyBytes: config.gateway.maxBodyBytes, upstreamTimeoutMs: config.gateway.upstreamTimeoutMs },
    maxHeaderBytes: config.gateway.maxHeaderBytes,
  });
  const admin = await createAdminServer({
    logger,
    health,
    registry,
    maxTtlSeconds: config.registry.maxTtlSeconds,
  });

  await listen(gateway.server, config.publicPort, config.host, 'public', 'PORTICO_PUBLIC_PORT');
  try {
    // Fastify's own listen, so its close() knows the server is listening and ends idle connections.
    await admin.listen({ port: config.adminPort, host: config.adminHost });
  } catch (error) {
    gateway.server.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new ListenError(
      `cannot listen on ${config.adminHost}:${config.adminPort} for the admin port (${code}); set PORTICO_ADMIN_PORT`,
    );
  }
  const publicUrl = urlOf(gateway.server);
  const adminUrl = urlOf(admin.server);
  logger.info({ public: publicUrl, admin: adminUrl }, 'portico started');

  let closing: Promise<void> | undefined;
  return {
    publicUrl,
    adminUrl,
    close() {
      closing ??= (async () => {
        await gateway.close(config.shutdownGraceMs);
        watch.close();
        await admin.close();
        await table.close();
        await registry.close();
        logger.info('portico stopped');
      })();
      return closing;
    },
  };
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
